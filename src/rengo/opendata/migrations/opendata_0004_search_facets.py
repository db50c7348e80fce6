"""Search facets without a join: each dataset's resource formats in ``res_formats`` (a
JSON list, sorted); and on SQLite one index holding every column a search reads per match,
so that facet counts and ranking over tens of thousands of matches read only that narrow
index instead of the wide rows (text, bigrams). It leads with ``state, pk``: the matches'
``state = 'active' AND pk IN (full-text match)`` is then a seek in it, which SQLite's planner
prefers to the table's rowid; led by ``pk`` alone the planner reads the table rows instead.
Also an index on (harvest_source, harvest_guid): a harvest looks up each page's remote ids,
which scanned the whole table per page.

Revision ID: opendata_0004
"""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "opendata_0004"
down_revision = "opendata_0003"
branch_labels = None
depends_on = None

COVER = (
    "state",
    "pk",
    "tenant",
    "category",
    "license_id",
    "standard_type",
    "res_formats",
    "modified_at",
    "id",
    "search_title",
)


def upgrade() -> None:
    op.add_column(
        "opendata_datasets",
        # The default fills existing rows (SQLite adds a NOT NULL column only with one); kept,
        # since altering it away would make SQLite rebuild the table and lose its triggers.
        sa.Column("res_formats", sa.Text(), nullable=False, server_default="[]"),
    )
    bind = op.get_bind()
    formats: defaultdict[str, set[str]] = defaultdict(set)
    for dataset_id, format_ in bind.execute(
        sa.text("SELECT dataset_id, format FROM opendata_resources")
    ):
        formats[dataset_id].add(format_)
    if formats:
        bind.execute(
            sa.text("UPDATE opendata_datasets SET res_formats = :formats WHERE id = :id"),
            [
                {"id": key, "formats": json.dumps(sorted(found), ensure_ascii=False)}
                for key, found in formats.items()
            ],
        )
    op.create_index(
        "ix_opendata_datasets_harvest", "opendata_datasets", ["harvest_source", "harvest_guid"]
    )
    if bind.dialect.name == "sqlite":
        op.create_index("ix_opendata_datasets_search_cover", "opendata_datasets", list(COVER))


def downgrade() -> None:
    op.drop_index("ix_opendata_datasets_harvest", "opendata_datasets")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_opendata_datasets_search_cover", "opendata_datasets")
    # No batch mode: rebuilding the table on SQLite would drop the search triggers.
    op.drop_column("opendata_datasets", "res_formats")
