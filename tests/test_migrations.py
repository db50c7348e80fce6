"""The Alembic migrations build exactly the schema the SQLAlchemy models describe.

A model changed without its migration (or the reverse) would pass every test that runs on
a database made from the migrations and still break a real upgrade; this compares the two
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from rengo.core.db import Base
from rengo.domains import load_domains

# Search structures that migrations create by hand, outside the models: the FTS5 table
# (and its shadow tables), the open-data search's covering index and facet tables on SQLite
# (opendata_search_combos / _facets and their index), the pg_trgm
# GIN index on PostgreSQL.
BY_HAND_TABLES = ("assets_search", "opendata_search_")
BY_HAND_INDEXES = {
    "ix_assets_search_trgm",
    "ix_opendata_search_trgm",
    "ix_opendata_search_bigrams",
    "ix_opendata_datasets_search_cover",
    "ix_opendata_search_facets_combo",
}


def _made_by_hand(difference: Any) -> bool:
    kind, item = difference[0], difference[1]
    if kind == "remove_table":
        return str(item.name).startswith(BY_HAND_TABLES)
    if kind == "remove_index":
        return item.name in BY_HAND_INDEXES
    return False


def test_migrations_match_the_models(db_url: str) -> None:
    load_domains()
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in differences if not _made_by_hand(d)] == []
