"""Fast search across all wards: a derived 'classified' column and a substring index.

SQLite gets an FTS5 trigram index over ``search_text`` kept in step by triggers;
PostgreSQL a pg_trgm GIN index (skipped, with search still correct, where the extension
cannot be created).

Revision ID: assets_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "assets_0002"
down_revision = "assets_0001"
branch_labels = None
depends_on = None

CLASSIFIED = "confidentiality IS NOT NULL AND integrity IS NOT NULL AND availability IS NOT NULL"
SQLITE_FTS = [
    """CREATE VIRTUAL TABLE assets_search USING fts5(
         search_text, content='assets', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER assets_search_insert AFTER INSERT ON assets BEGIN
         INSERT INTO assets_search(rowid, search_text) VALUES (new.id, new.search_text); END""",
    """CREATE TRIGGER assets_search_delete AFTER DELETE ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, search_text)
         VALUES ('delete', old.id, old.search_text); END""",
    """CREATE TRIGGER assets_search_update AFTER UPDATE OF search_text ON assets BEGIN
         INSERT INTO assets_search(assets_search, rowid, search_text)
         VALUES ('delete', old.id, old.search_text);
         INSERT INTO assets_search(rowid, search_text) VALUES (new.id, new.search_text); END""",
    "INSERT INTO assets_search(assets_search) VALUES ('rebuild')",
]


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table(
        "assets", recreate="always" if bind.dialect.name == "sqlite" else "auto"
    ) as batch:
        batch.add_column(
            sa.Column("classified", sa.Boolean(), sa.Computed(CLASSIFIED, persisted=True))
        )
        batch.create_index(
            "ix_assets_classified", ["classified", "tenant", "created_at", "retired_on"]
        )
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
            savepoint.commit()
        except sa.exc.DBAPIError:
            savepoint.rollback()
        if bind.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar():
            op.execute(
                "CREATE INDEX ix_assets_search_trgm ON assets USING gin (search_text gin_trgm_ops)"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS assets_search_{name}")
        op.execute("DROP TABLE IF EXISTS assets_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_assets_search_trgm")
    with op.batch_alter_table("assets") as batch:
        batch.drop_index("ix_assets_classified")
        batch.drop_column("classified")
