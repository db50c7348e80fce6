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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.soc.lake import Lake
from rengo.soc.schema import EVENT_SCHEMA, ORIGINS

FILTERABLE = {f.name for f in EVENT_SCHEMA} - {"unmapped", "raw"}
INT_COLUMNS = {f.name for f in EVENT_SCHEMA if str(f.type).startswith("int")}
UNMAPPED_KEY = re.compile(r"^unmapped\.([A-Za-z0-9_.@:-]{1,100})$")
T = TypeVar("T")


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


@dataclass
class Page:
    events: list[dict[str, Any]]
    next_cursor: str | None
    elapsed_ms: float


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
    except duckdb.IOException:
        clock.sleep(0.05)
        return run()


def _conditions(query: EventQuery) -> tuple[list[str], list[Any]]:
    problems: list[Problem] = []
    if query.until <= query.since:
        problems.append(Problem("must be after 'since'", "until"))
    conditions = ["day BETWEEN ?::DATE AND ?::DATE", "time >= ?", "time < ?"]
    params: list[Any] = [
        (query.since - timedelta(days=1)).date(),
        query.until.date(),
        query.since,
        query.until,
    ]
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
            conditions.append(f"CAST({column} AS VARCHAR) ILIKE ?")
            params.append(value.replace("%", r"\%").replace("*", "%"))
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
        conditions.append("message ILIKE ?")
        params.append("%" + word.replace("%", r"\%") + "%")
    if query.cursor:
        when, event_id = _decode_cursor(query.cursor)
        conditions.append("(time < ? OR (time = ? AND event_id < ?))")
        params.extend([when, when, event_id])
    if not 1 <= query.limit <= 1000:
        problems.append(Problem("between 1 and 1000", "limit"))
    if problems:
        raise InvalidInput("invalid event search", problems)
    return conditions, params


def search_events(lake: Lake, query: EventQuery) -> Page:
    """One page of events matching ``query``, newest first, each with its raw record."""
    started = clock.perf_counter()
    conditions, params = _conditions(query)
    source = lake.events_source()
    if source is None:
        return Page([], None, 0.0)
    columns = ", ".join(EVENT_SCHEMA.names)
    sql = (
        f"SELECT {columns} FROM {source} WHERE {' AND '.join(conditions)} "
        f"ORDER BY time DESC, event_id DESC LIMIT {query.limit + 1}"
    )

    def run() -> list[dict[str, Any]]:
        connection = lake.connect()
        try:
            return connection.sql(sql, params=params).to_arrow_table().to_pylist()
        finally:
            connection.close()

    rows = _retrying(run)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    for row in rows:
        row["unmapped"] = dict(row["unmapped"] or [])
    cursor = _encode_cursor(rows[-1]["time"], rows[-1]["event_id"]) if more and rows else None
    return Page(rows, cursor, (clock.perf_counter() - started) * 1000)


def get_event(
    lake: Lake, event_id: str, wards: frozenset[str] | None, *, at: datetime | None = None
) -> dict[str, Any] | None:
    """One event by id (of the wards given); ``at``, its time, limits the read to its day."""
    if at is not None:
        found = _get_event(lake, event_id, wards, at)
        if found is not None:
            return found
    return _get_event(lake, event_id, wards, None)


def _get_event(
    lake: Lake, event_id: str, wards: frozenset[str] | None, at: datetime | None
) -> dict[str, Any] | None:
    source = lake.events_source()
    if source is None:
        return None
    sql = f"SELECT {', '.join(EVENT_SCHEMA.names)} FROM {source} WHERE event_id = ?"
    params: list[Any] = [event_id]
    if at is not None:
        sql += " AND day = ?::DATE AND time = ?"
        params.extend([at.astimezone(UTC).date(), at])
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
    rows[0]["unmapped"] = dict(rows[0]["unmapped"] or [])
    return rows[0]
