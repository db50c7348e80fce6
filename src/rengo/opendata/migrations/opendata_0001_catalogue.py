"""The open-data catalogue: datasets, resources, change history and the Japanese search
indexes (SQLite: FTS5 trigram + a bigram FTS5 for two-character words; PostgreSQL: pg_trgm
and a GIN-indexed bigram array).

Revision ID: opendata_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from rengo.core.db import JSONType, UTCDateTime

revision = "opendata_0001"
down_revision = None
branch_labels = ("opendata",)
depends_on = "assets_0001"


def _fts(table: str, column: str, tokenize: str) -> list[str]:
    return [
        f"""CREATE VIRTUAL TABLE {table} USING fts5({column}, content='opendata_datasets',
             content_rowid='pk', tokenize='{tokenize}')""",
        f"""CREATE TRIGGER {table}_insert AFTER INSERT ON opendata_datasets BEGIN
             INSERT INTO {table}(rowid, {column}) VALUES (new.pk, new.{column}); END""",
        f"""CREATE TRIGGER {table}_delete AFTER DELETE ON opendata_datasets BEGIN
             INSERT INTO {table}({table}, rowid, {column})
             VALUES ('delete', old.pk, old.{column}); END""",
        f"""CREATE TRIGGER {table}_update AFTER UPDATE OF {column} ON opendata_datasets BEGIN
             INSERT INTO {table}({table}, rowid, {column})
             VALUES ('delete', old.pk, old.{column});
             INSERT INTO {table}(rowid, {column}) VALUES (new.pk, new.{column}); END""",
    ]


def upgrade() -> None:
    op.create_table(
        "opendata_datasets",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("tenant", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("title_kana", sa.String(length=300), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("license_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("tags", JSONType, nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("spatial", sa.String(length=200), nullable=False),
        sa.Column("temporal_start", sa.String(length=10), nullable=False),
        sa.Column("temporal_end", sa.String(length=10), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("standard_type", sa.String(length=32), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("harvest_source", sa.String(length=300), nullable=False),
        sa.Column("harvest_guid", sa.String(length=100), nullable=False),
        sa.Column("harvest_modified", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("search_bigrams", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant"], ["tenants.code"], name=op.f("fk_opendata_datasets_tenant_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_opendata_datasets_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_opendata_datasets")),
        sa.UniqueConstraint("id", name=op.f("uq_opendata_datasets_id")),
        sa.UniqueConstraint("name", name=op.f("uq_opendata_datasets_name")),
    )
    op.create_index("ix_opendata_datasets_tenant_state", "opendata_datasets", ["tenant", "state"])
    op.create_table(
        "opendata_resources",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("source_filename", sa.String(length=300), nullable=False),
        sa.Column("source_encoding", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("columns", JSONType, nullable=False),
        sa.Column("has_coordinates", sa.Integer(), nullable=False),
        sa.Column("schema_errors", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("modified_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_resources_dataset_id_opendata_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_resources")),
    )
    op.create_index(op.f("ix_opendata_resources_dataset_id"), "opendata_resources", ["dataset_id"])
    op.create_table(
        "opendata_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["opendata_datasets.id"],
            name=op.f("fk_opendata_changes_dataset_id_opendata_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opendata_changes")),
    )
    op.create_index(op.f("ix_opendata_changes_dataset_id"), "opendata_changes", ["dataset_id"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in [
            *_fts("opendata_search_tri", "search_text", "trigram"),
            *_fts("opendata_search_bi", "search_bigrams", "unicode61"),
        ]:
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
                "CREATE INDEX ix_opendata_search_trgm ON opendata_datasets "
                "USING gin (search_text gin_trgm_ops)"
            )
        op.execute(
            "CREATE INDEX ix_opendata_search_bigrams ON opendata_datasets "
            "USING gin (string_to_array(search_bigrams, ' '))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("opendata_search_tri", "opendata_search_bi"):
            for name in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")
            op.execute(f"DROP TABLE IF EXISTS {table}")
    op.drop_table("opendata_changes")
    op.drop_table("opendata_resources")
    op.drop_table("opendata_datasets")
