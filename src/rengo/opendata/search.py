"""Search the catalogue in Japanese: every query word must occur in the dataset's folded
text (``text.fold``), facets count the matches by ward, category, format, licence and
standard type, and results rank by relevance (words in the title) then freshness.

The same rule runs on both databases with an index each: SQLite's FTS5 trigram table for
words of 3+ characters and an FTS5 table of bigrams for 2-character words; PostgreSQL's
pg_trgm index (LIKE) and a GIN index over the bigram array. Single characters scan.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from rengo.core.errors import InvalidInput, Problem
from rengo.opendata.models import Dataset, Resource
from rengo.opendata.text import terms

MAX_ROWS = 1000
SORTS = {
    "score": None,
    "metadata_modified": Dataset.modified_at,
    "metadata_created": Dataset.created_at,
    "title_string": Dataset.title,
    "name": Dataset.name,
}
FACET_COLUMNS = {
    "organization": Dataset.tenant,
    "groups": Dataset.category,
    "license_id": Dataset.license_id,
    "standard_type": Dataset.standard_type,
}
FACETS = (*FACET_COLUMNS, "res_format")


@dataclass(slots=True)
class Query:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    """Field (organization, groups, license_id, standard_type, res_format, tags, name, id)
    → accepted values (any of them)."""
    modified_since: datetime | None = None
    sort: str = "score desc, metadata_modified desc"
    rows: int = 10
    start: int = 0
    facet_fields: Sequence[str] = ()
    facet_limit: int = 50


@dataclass(slots=True)
class Result:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, int]]]


def formats_key(formats: Iterable[str]) -> str:
    """A dataset's ``res_formats``: its resources' distinct formats as a sorted JSON list."""
    return json.dumps(sorted(set(formats)), ensure_ascii=False)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _match(word: str, n: int, dialect: str) -> ColumnElement[bool] | TextClause:
    """Datasets whose folded text contains ``word`` (the n-th word of the query)."""
    pair = len(word) == 2 and word.isalnum()
    if dialect == "sqlite" and (len(word) >= 3 or pair):
        table = "opendata_search_tri" if len(word) >= 3 else "opendata_search_bi"
        phrase = '"' + word.replace('"', '""') + '"'
        sub = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :w{n}").bindparams(  # noqa: S608 - table and column names from code, values bound
            **{f"w{n}": phrase}
        )
        return Dataset.pk.in_(sub)
    if dialect == "postgresql" and pair:
        return text(
            f"string_to_array(search_bigrams, ' ') @> ARRAY[CAST(:w{n} AS text)]"
        ).bindparams(**{f"w{n}": word})
    return Dataset.search_text.like(f"%{_escape_like(word)}%", escape="\\")


def _filter(name: str, values: list[str], n: int, dialect: str) -> ColumnElement[bool] | TextClause:
    if name in FACET_COLUMNS:
        return FACET_COLUMNS[name].in_(values)
    if name in ("name", "id"):
        return (Dataset.name if name == "name" else Dataset.id).in_(values)
    if name == "res_format":
        formats = [v.upper() for v in values]
        return Dataset.id.in_(select(Resource.dataset_id).where(Resource.format.in_(formats)))
    if name == "tags":
        conditions = []
        for i, value in enumerate(values):
            key = f"t{n}_{i}"
            if dialect == "postgresql":
                clause = text(f"opendata_datasets.tags @> CAST(:{key} AS jsonb)")
                conditions.append(clause.bindparams(**{key: f'["{_json(value)}"]'}))
            else:
                sub = (
                    f"EXISTS (SELECT 1 FROM json_each(opendata_datasets.tags) WHERE value = :{key})"  # noqa: S608 - table and column names from code, values bound
                )
                conditions.append(text(sub).bindparams(**{key: value}))
        return or_(*conditions)
    raise InvalidInput(
        "cannot filter by {field}", [Problem("unknown field", f"fq {name}")], values={"field": name}
    )


def _json(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _order(query: Query, words: list[str], m: Any) -> list[Any]:
    order: list[Any] = []
    for part in filter(None, (p.strip() for p in query.sort.split(","))):
        name, _, direction = part.partition(" ")
        if name not in SORTS or direction.lower() not in ("", "asc", "desc"):
            raise InvalidInput(
                "cannot sort by {sort}", [Problem("unknown sort", "sort")], values={"sort": part}
            )
        column: Any = SORTS[name]
        column = None if column is None else m.c[column.key]
        if column is None:  # relevance: how many query words the title holds
            hits = [
                case((m.c.search_title.like(f"%{_escape_like(w)}%", escape="\\"), 1), else_=0)
                for w in words
            ]
            column = sum(hits, literal(0)) if hits else literal(0)
        order.append(column.asc() if direction.lower() == "asc" else column.desc())
    return [*order, m.c.id]


Condition = ColumnElement[bool] | TextClause


def conditions(query: Query, dialect: str) -> list[Condition]:
    """What an active dataset must satisfy to match the query (applied to each statement
    directly: a nested ``pk IN (…)`` made SQLite look every match up again per facet)."""
    found: list[Condition] = [Dataset.state == "active"]
    words = terms(query.q)
    found += [_match(word, n, dialect) for n, word in enumerate(words)]
    for n, (name, values) in enumerate(sorted(query.filters.items())):
        found.append(_filter(name, values, n, dialect))
    if query.modified_since is not None:
        found.append(Dataset.modified_at >= query.modified_since)
    return found


def _matched(query: Query, dialect: str) -> Any:
    """The matches with just the columns facets and sorting need. On SQLite all of them are
    in the index ``ix_opendata_datasets_search_cover`` (migration opendata_0004): each match
    costs one seek in that narrow index, not in the wide table rows. On PostgreSQL the
    matches are materialised once per statement (its planner otherwise walks a whole-table
    index for ORDER BY / GROUP BY)."""
    columns: list[Any] = [Dataset.pk, Dataset.id, *FACET_COLUMNS.values(), Dataset.res_formats]
    for part in query.sort.split(","):
        column = SORTS.get(part.strip().partition(" ")[0])
        columns.append(Dataset.search_title if column is None else column)
    unique = list({c.key: c for c in columns}.values())
    matched = select(*unique).where(*conditions(query, dialect))
    if dialect != "sqlite":
        return matched.cte("matched").prefix_with("MATERIALIZED")
    return matched.subquery("matched")


def _counts(
    session: Session, m: Any, names: Sequence[str], limit: int
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """The number of matches and every facet in one pass: the matches are grouped by the
    combination of the facets' columns (a few hundred groups where there are tens of
    thousands of matches), which are then added up per facet."""
    keys = [m.c.res_formats if n == "res_format" else m.c[FACET_COLUMNS[n].key] for n in names]
    statement = select(*keys, func.count()).select_from(m).group_by(*keys)
    return _tally(((values, n) for *values, n in session.execute(statement)), names, limit)


def _tally(
    groups: Iterable[tuple[Sequence[str], int]], names: Sequence[str], limit: int
) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """Add up (facet values, count) groups per facet. Formats are grouped by each dataset's
    combination (``res_formats``), then counted per format."""
    found: dict[str, Counter[str]] = {name: Counter() for name in names}
    formats: dict[str, list[str]] = {}  # each combination decoded once
    total = 0
    for values, n in groups:
        total += n
        for name, value in zip(names, values, strict=True):
            if name == "res_format":
                if value not in formats:
                    formats[value] = json.loads(value)
                for format_ in formats[value]:
                    found[name][format_] += n
            elif value:
                found[name][value] += n
    facets = {
        name: sorted(items.items(), key=lambda item: (-item[1], item[0]))[:limit]
        for name, items in found.items()
    }
    return total, facets


def _indexed(word: str) -> str | None:
    """The SQLite full-text table that finds ``word``, if one does."""
    if len(word) >= 3:
        return "opendata_search_tri"
    return "opendata_search_bi" if len(word) == 2 and word.isalnum() else None


def _combo_counts(
    session: Session, query: Query, words: list[str], names: Sequence[str]
) -> tuple[int, dict[str, list[tuple[str, int]]]] | None:
    """On SQLite, the facets of a query of indexed words and facet filters (or neither) counted
    from ``opendata_search_facets`` (migration opendata_0006): one seek per match in a table
    of two integers, grouped by the combination's number; None for any other query."""
    tables = [_indexed(w) for w in words]
    if (
        None in tables
        or query.modified_since is not None
        or any(name not in FACET_COLUMNS for name in query.filters)
    ):
        return None
    where, params = [], {}
    for n, (word, table) in enumerate(zip(words, tables, strict=True)):
        match = f"pk IN (SELECT rowid FROM {table} WHERE {table} MATCH :w{n})"  # noqa: S608 - table from code, value bound
        where.append(match)
        params[f"w{n}"] = '"' + word.replace('"', '""') + '"'
    for name, values in sorted(query.filters.items()):
        column = FACET_COLUMNS[name].key
        keys = [f"{column}{i}" for i in range(len(values))]
        params.update(zip(keys, values, strict=True))
        marks = ", ".join(":" + k for k in keys)
        combos = f"SELECT id FROM opendata_search_combos WHERE {column} IN ({marks})"  # noqa: S608 - column from code, values bound
        where.append(f"combo IN ({combos})")
    columns = ["res_formats" if n == "res_format" else FACET_COLUMNS[n].key for n in names]
    join = "FROM g JOIN opendata_search_combos AS c ON c.id = g.combo"
    per_facet = "".join(
        f" UNION ALL SELECT {i}, c.{column}, sum(g.n) {join} GROUP BY c.{column}"
        for i, column in enumerate(columns)
    )
    statement = text(
        "WITH g AS MATERIALIZED (SELECT combo, count(*) AS n FROM opendata_search_facets "  # noqa: S608 - names from code, values bound
        f"WHERE {' AND '.join(where) or '1'} GROUP BY combo) "
        f"SELECT -1, '', coalesce(sum(n), 0) FROM g{per_facet}"
    )
    total = 0
    found: list[Counter[str]] = [Counter() for _ in names]
    for i, value, n in session.execute(statement, params):
        if i < 0:
            total = n
        elif names[i] == "res_format":
            found[i].update(dict.fromkeys(json.loads(value), n))
        elif value:
            found[i][value] += n
    return total, {
        name: sorted(items.items(), key=lambda item: (-item[1], item[0]))[: query.facet_limit]
        for name, items in zip(names, found, strict=True)
    }


def search(session: Session, query: Query) -> Result:
    if not 0 <= query.rows <= MAX_ROWS or query.start < 0:
        raise InvalidInput(
            "rows must be 0-{max} and start not negative",
            [Problem("out of range", "rows")],
            values={"max": MAX_ROWS},
        )
    unknown = [f for f in query.facet_fields if f not in FACETS]
    if unknown:
        raise InvalidInput(
            "cannot facet by {fields}; one of {known}",
            [Problem("unknown facet field", "facet.field")],
            values={"fields": ", ".join(unknown), "known": ", ".join(FACETS)},
        )
    words = terms(query.q)
    m = _matched(query, session.get_bind().dialect.name)
    order = _order(query, words, m)  # checks the sort before any work
    fast = None
    if session.get_bind().dialect.name == "sqlite":
        fast = _combo_counts(session, query, words, query.facet_fields)
    count, facets = fast or _counts(session, m, query.facet_fields, query.facet_limit)
    datasets: list[Dataset] = []
    if query.rows and count:
        page = select(m.c.pk).order_by(*order).offset(query.start).limit(query.rows)
        keys = list(session.scalars(page))
        by_pk = {d.pk: d for d in session.scalars(select(Dataset).where(Dataset.pk.in_(keys)))}
        datasets = [by_pk[k] for k in keys]
    return Result(count, datasets, facets)
