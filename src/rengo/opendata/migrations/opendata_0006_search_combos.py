"""Facet counts without reading the matches' rows (SQLite): every active dataset's
combination of facet values (ward, category, licence, standard type, resource formats) is
numbered once in ``opendata_search_combos``, and ``opendata_search_facets`` maps each active
dataset's ``pk`` to its combination's number. Counting the facets of 36,000 matches is then
one seek per match in a table of two integers and a GROUP BY on one integer, instead of a
seek in the wide covering index and a GROUP BY on three text columns (``search.py``).
Triggers keep both tables in step with every insert, change and delete, whoever writes.

Revision ID: opendata_0006
Revises: opendata_0005
"""

from __future__ import annotations

from alembic import op

revision = "opendata_0006"
down_revision = "opendata_0005"
branch_labels = None
depends_on = None

KEYS = "tenant, category, license_id, standard_type, res_formats"
MATCH = " AND ".join(f"c.{k} = new.{k}" for k in KEYS.split(", "))
ADD = f"""
    INSERT OR IGNORE INTO opendata_search_combos ({KEYS})
        SELECT {", ".join(f"new.{k}" for k in KEYS.split(", "))} WHERE new.state = 'active';
    INSERT OR REPLACE INTO opendata_search_facets (pk, combo)
        SELECT new.pk, c.id FROM opendata_search_combos AS c
        WHERE new.state = 'active' AND {MATCH};"""  # noqa: S608 - column names from code, no values
STATEMENTS = (
    f"""CREATE TABLE opendata_search_combos (
        id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, category TEXT NOT NULL,
        license_id TEXT NOT NULL, standard_type TEXT NOT NULL, res_formats TEXT NOT NULL,
        UNIQUE ({KEYS}))""",
    """CREATE TABLE opendata_search_facets (
        pk INTEGER PRIMARY KEY, combo INTEGER NOT NULL)""",
    # A query without words (the portal's home page, a ward's or a category's list) counts
    # each combination's entries in this index instead of reading every dataset.
    "CREATE INDEX ix_opendata_search_facets_combo ON opendata_search_facets (combo)",
    f"""INSERT INTO opendata_search_combos ({KEYS})
        SELECT DISTINCT {KEYS} FROM opendata_datasets WHERE state = 'active'""",  # noqa: S608 - column names from code, no values
    f"""INSERT INTO opendata_search_facets (pk, combo)
        SELECT d.pk, c.id FROM opendata_datasets AS d JOIN opendata_search_combos AS c
        USING ({KEYS}) WHERE d.state = 'active'""",  # noqa: S608 - column names from code, no values
    f"""CREATE TRIGGER opendata_search_facets_insert AFTER INSERT ON opendata_datasets
        BEGIN {ADD} END""",
    f"""CREATE TRIGGER opendata_search_facets_update
        AFTER UPDATE OF state, {KEYS} ON opendata_datasets
        BEGIN DELETE FROM opendata_search_facets WHERE pk = old.pk; {ADD} END""",  # noqa: S608 - column names from code, no values
    """CREATE TRIGGER opendata_search_facets_delete AFTER DELETE ON opendata_datasets
        BEGIN DELETE FROM opendata_search_facets WHERE pk = old.pk; END""",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in STATEMENTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS opendata_search_facets_{name}")
        op.execute("DROP TABLE IF EXISTS opendata_search_facets")
        op.execute("DROP TABLE IF EXISTS opendata_search_combos")
