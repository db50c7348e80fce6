"""The SQLite facet table (``opendata_search_facets``, kept by triggers) counts exactly what
the general statement over the matches counts, through publishing, edits, withdrawal and
deletion; and the search gives the same counts on PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from rengo.core.runtime import Runtime
from rengo.opendata import search, service
from rengo.opendata.models import Dataset, DatasetChange, Resource
from rengo.opendata.text import terms
from tests.opendata.test_catalogue import OFFICER_A, _corpus

FACETS = ("organization", "groups", "license_id", "standard_type", "res_format")
QUERIES: list[dict[str, Any]] = [
    {"q": ""},
    {"q": "防災"},
    {"q": "避難所 防災"},
    {"q": "一覧", "filters": {"groups": ["disaster", "childcare"]}},
    {"q": "", "filters": {"organization": ["chiyoda"]}},
    {"q": "aed"},
]


def _both(session: Any, spec: dict[str, Any]) -> tuple[Any, Any]:
    query = search.Query(facet_fields=FACETS, **spec)
    general = search._counts(
        session,
        search._matched(query, session.get_bind().dialect.name),
        FACETS,
        query.facet_limit,
    )
    if session.get_bind().dialect.name == "sqlite":  # the facet table answers, not a fallback
        assert search._combo_counts(session, query, terms(query.q), FACETS) is not None
    result = search.search(session, query)
    return general, (result.count, result.facets)


def test_facet_table_counts_what_the_matches_count(env: Runtime) -> None:
    _corpus(env)
    with env.db.session() as session:
        for spec in QUERIES:
            general, found = _both(session, spec)
            assert found == general, spec
        assert _both(session, {"q": "防災"})[1][0] == 2
        first = session.query(Dataset).order_by(Dataset.pk).first()
        assert first is not None
        changes = {"category": "disaster", "title": "保育所と防災"}
        service.update(session, OFFICER_A, first.id, changes)
    with env.db.session() as session:
        assert _both(session, {"q": "防災"})[1][0] == 3
        service.set_state(session, OFFICER_A, first.id, "withdrawn")
    with env.db.session() as session:
        for spec in QUERIES:
            general, found = _both(session, spec)
            assert found == general, spec
        assert _both(session, {"q": "防災"})[1][0] == 2
        last = session.query(Dataset).order_by(Dataset.pk.desc()).first()
        assert last is not None
        session.execute(delete(Resource).where(Resource.dataset_id == last.id))
        session.execute(delete(DatasetChange).where(DatasetChange.dataset_id == last.id))
        session.delete(last)
    with env.db.session() as session:
        for spec in QUERIES:
            general, found = _both(session, spec)
            assert found == general, spec
        assert _both(session, {"q": ""})[1][0] == 3
