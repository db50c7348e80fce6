"""Event search and the "are all wards sending?" counts, over the lake with DuckDB.

Every query takes the wards the caller may see (``None`` = all, for the joint centre);
the web layer gets them from ``rengo.core.permissions.visible_tenants``. Results come in
pages ordered newest first, continued by an opaque cursor (time and id of the last
event), so that deep pages cost no more than the first.
"""

from __future__ import annotations

import base64
import re
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.core.types import CursorPage, TenantCode
from rengo.soc.lake import Lake
from rengo.soc.schema import EVENT_SCHEMA, ORIGINS

FILTERABLE = {f.name for f in EVENT_SCHEMA} - {"unmapped", "raw"}
INT_COLUMNS = {f.name for f in EVENT_SCHEMA if str(f.type).startswith("int")}
UNMAPPED_KEY = re.compile(r"^unmapped\.([A-Za-z0-9_.@:-]{1,100})$")
T = TypeVar("T")


def like_literal(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: its ``%`` and ``_`` (and the
    escape itself) match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class EventQuery:
    since: datetime
    until: datetime
    wards: frozenset[str] | None = None
    classes: tuple[int, ...] = ()
    filters: dict[str, str] = field(default_factory=dict)
    """column (or ``unmapped.<Field>``) = value; '*' in a value is a wildcard."""
    text: str = ""
    """Words that must all appear in the message (case-insensitive)."""
    origin: str | None = None
    limit: int = 50
    cursor: str | None = None
    columns: tuple[str, ...] | None = None
    """Columns to return (a results list needs no ``raw``); ``None``: all of them."""


@dataclass(frozen=True, slots=True)
class EventPage(CursorPage[dict[str, Any]]):
    """Events (as dicts) of a search, and how long the search took."""

    elapsed_ms: float = 0.0


def _encode_cursor(when: datetime, event_id: str) -> str:
    micros = int(when.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{micros}|{event_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        micros, event_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), event_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "bad cursor", [Problem("not a cursor from a previous page", "cursor")]
        ) from exc


def _retrying(run: Callable[[], T]) -> T:
    """Compaction may swap a file under a running query: try again once."""
    try:
        return run()
    except (duckdb.IOException, FileNotFoundError):
        clock.sleep(0.05)
        return run()


def _conditions(query: EventQuery) -> tuple[list[str], list[Any]]:
    problems: list[Problem] = []
    if query.until <= query.since:
        problems.append(Problem("must be after 'since'", "until"))
    conditions = ["time >= ?", "time < ?"]
    params: list[Any] = [query.since, query.until]
    if query.wards is not None:
        conditions.append(f"ward IN ({', '.join('?' for _ in query.wards) or 'NULL'})")
        params.extend(sorted(query.wards))
    if query.classes:
        conditions.append(f"class_uid IN ({', '.join('?' for _ in query.classes)})")
        params.extend(query.classes)
    if query.origin is not None:
        if query.origin not in ORIGINS:
            problems.append(Problem(f"one of {', '.join(ORIGINS)}", "origin"))
        conditions.append("origin = ?")
        params.append(query.origin)
    for name, value in query.filters.items():
        unmapped = UNMAPPED_KEY.match(name)
        if unmapped:
            column = "unmapped[?]"
            params.append(unmapped.group(1))
        elif name in FILTERABLE:
            column = name
        else:
            problems.append(Problem("unknown field (use a column or unmapped.<Field>)", name))
            continue
        if "*" in value:
            conditions.append(f"CAST({column} AS VARCHAR) ILIKE ? ESCAPE '\\'")
            params.append(like_literal(value).replace("*", "%"))
        elif name in INT_COLUMNS:
            try:
                params.append(int(value))
            except ValueError:
                problems.append(Problem(f"{value!r} is not a whole number", name))
                continue
            conditions.append(f"{column} = ?")
        else:
            conditions.append(f"{column} = ?")
            params.append(value)
    for word in query.text.split():
        conditions.append("message ILIKE ? ESCAPE '\\'")
        params.append("%" + like_literal(word) + "%")
    if query.cursor:
        when, event_id = _decode_cursor(query.cursor)
        conditions.append("(time < ? OR (time = ? AND event_id < ?))")
        params.extend([when, when, event_id])
    if not 1 <= query.limit <= 1000:
        problems.append(Problem("between 1 and 1000", "limit"))
    if unknown := set(query.columns or ()) - set(EVENT_SCHEMA.names):
        problems.append(Problem(f"no such columns: {', '.join(sorted(unknown))}", "columns"))
    if problems:
        raise InvalidInput("invalid event search", problems)
    return conditions, params


def _day_chunks(files: list[tuple[date, str]]) -> Iterator[list[str]]:
    """The newest day's files, then all the others: a page the newest day fills never
    reads older days (every event of a day is newer than the day before's: partitions
    are UTC days of the event time); a rare value costs two queries, not one per day."""
    if not files:
        return
    newest = files[0][0]
    yield [path for day, path in files if day == newest]
    older = [path for day, path in files if day != newest]
    if older:
        yield older


def _newest(
    lake: Lake, query: EventQuery, conditions: list[str], params: list[Any]
) -> list[tuple[Any, ...]]:
    """(time, event_id, file, row number) of the page's events and one more: only the
    filtered and ordering columns are read here, the rest later from the few row groups
    that hold the page."""
    last = query.until
    if query.cursor:
        last = min(last, _decode_cursor(query.cursor)[0])
    files = lake.event_files(
        query.since.astimezone(UTC).date(),
        last.astimezone(UTC).date(),
        wards=query.wards,
        classes=query.classes or None,
    )
    where = " AND ".join(conditions)
    found: list[tuple[Any, ...]] = []
    connection = lake.connect()
    try:
        for chunk in _day_chunks(files):
            sql = (
                f"SELECT time, event_id, filename, file_row_number "  # noqa: S608 - relation and columns from code, values bound
                f"FROM {lake.source_of(chunk, filename=True)} "
                f"WHERE {where} ORDER BY time DESC, event_id DESC "
                f"LIMIT {query.limit + 1 - len(found)}"
            )
            found += connection.execute(sql, params).fetchall()
            if len(found) > query.limit:
                break
    finally:
        connection.close()
    return found


def _full_rows(
    lake: Lake, keys: list[tuple[Any, ...]], columns: tuple[str, ...] | None
) -> list[dict[str, Any]]:
    wanted = None if columns is None else ["time", "event_id", *columns]
    rows = lake.rows_at([(file, row) for _, _, file, row in keys], wanted)
    for row in rows:
        if "unmapped" in row:
            row["unmapped"] = dict(row["unmapped"] or [])
    return rows


def search_events(lake: Lake, query: EventQuery) -> EventPage:
    """One page of events matching ``query``, newest first, each with its raw record."""
    started = clock.perf_counter()
    conditions, params = _conditions(query)

    def run() -> tuple[list[dict[str, Any]], bool]:
        keys = _newest(lake, query, conditions, params)
        return _full_rows(lake, keys[: query.limit], query.columns), len(keys) > query.limit

    rows, more = _retrying(run)
    cursor = _encode_cursor(rows[-1]["time"], rows[-1]["event_id"]) if more and rows else None
    return EventPage(rows, cursor, (clock.perf_counter() - started) * 1000)


def get_event(
    lake: Lake, event_id: str, wards: frozenset[TenantCode] | None, *, at: datetime | None = None
) -> dict[str, Any] | None:
    """One event by id (of the wards given); ``at``, its time, limits the read to its day."""
    if at is not None:
        found = _get_event(lake, event_id, wards, at)
        if found is not None:
            return found
    return _get_event(lake, event_id, wards, None)


def _get_event(
    lake: Lake, event_id: str, wards: frozenset[TenantCode] | None, at: datetime | None
) -> dict[str, Any] | None:
    day = at.astimezone(UTC).date() if at is not None else None
    files = lake.event_files(day, day, wards=wards)
    source = lake.source_of([path for _, path in files])
    if source is None:
        return None
    sql = f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM {source} WHERE event_id = ?"  # noqa: S608 - relation and columns from code, values bound
    params: list[Any] = [event_id]
    if at is not None:
        sql += " AND time = ?"
        params.append(at)
    if wards is not None:
        sql += f" AND ward IN ({', '.join('?' for _ in wards) or 'NULL'})"
        params.extend(sorted(wards))
    connection = lake.connect()
    try:
        rows = connection.sql(sql + " LIMIT 1", params=params).to_arrow_table().to_pylist()
    finally:
        connection.close()
    if not rows:
        return None
    row: dict[str, Any] = rows[0]
    row["unmapped"] = dict(row["unmapped"] or [])
    return row
