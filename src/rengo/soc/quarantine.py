"""The quarantine: records that could not be parsed, with the reason and the raw bytes.

Rows live in the lake (``quarantine/ward=…/day=…``), written in the same commit as the
events of their batch. ``replay`` parses them again (after a parser fix): each one that
now parses is spooled again under a key derived from its quarantine id (so its event id
is stable) and marked resolved; the others stay, unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from rengo.core.types import TenantCode
from rengo.soc.lake import Lake
from rengo.soc.parsers import ParseError, parse_record
from rengo.soc.spool import Batch, Spool

RESOLVED = "quarantine_resolved.log"


def resolved_ids(lake: Lake) -> set[str]:
    try:
        return set((lake.root / RESOLVED).read_text().split())
    except FileNotFoundError:
        return set()


def _mark_resolved(lake: Lake, ids: list[str]) -> None:
    with open(lake.root / RESOLVED, "a") as handle:
        handle.write("".join(f"{i}\n" for i in ids))
        handle.flush()
        os.fsync(handle.fileno())


def _where(
    wards: frozenset[TenantCode] | None, source: str | None, since: date | None = None
) -> tuple[str, list[Any]]:
    conditions: list[str] = ["true"]
    params: list[Any] = []
    if wards is not None:
        conditions.append(f"ward IN ({', '.join('?' for _ in wards) or 'NULL'})")
        params.extend(sorted(wards))
    if source is not None:
        conditions.append("source IS NOT DISTINCT FROM ?")
        params.append(source)
    if since is not None:
        conditions.append("day >= ?::DATE")
        params.append(since)
    return " AND ".join(conditions), params


def quarantined(
    lake: Lake,
    *,
    wards: frozenset[TenantCode] | None,
    source: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Quarantined records not yet resolved, newest first, with their raw bytes."""
    q_source = lake.quarantine_source()
    if q_source is None:
        return []
    where, params = _where(wards, source)
    sql = (
        f"SELECT * EXCLUDE (day) FROM {q_source} WHERE {where} ORDER BY received DESC, "  # noqa: S608 - relation and columns from code, values bound
        "quarantine_id"
    )
    connection = lake.connect()
    try:
        rows = connection.sql(sql, params=params).to_arrow_table().to_pylist()
    finally:
        connection.close()
    done = resolved_ids(lake)
    rows = [r for r in rows if r["quarantine_id"] not in done]
    return rows[offset : offset + limit]


def summary(
    lake: Lake, *, wards: frozenset[TenantCode] | None, since: date | None = None
) -> list[dict[str, Any]]:
    """Unresolved records per ward, source, format and reason, the largest groups first:
    {ward, source, format, reason, records, last_received}."""
    q_source = lake.quarantine_source()
    if q_source is None:
        return []
    where, params = _where(wards, None, since)
    done = sorted(resolved_ids(lake))
    if done:
        where += f" AND quarantine_id NOT IN ({', '.join('?' for _ in done)})"
        params.extend(done)
    connection = lake.connect()
    try:
        rows = connection.sql(
            f"SELECT ward, source, format, reason, count(*), max(received) FROM {q_source} "  # noqa: S608 - relation and columns from code, values bound
            f"WHERE {where} GROUP BY ALL ORDER BY count(*) DESC, ward, source",
            params=params,
        ).fetchall()
    finally:
        connection.close()
    keys = ("ward", "source", "format", "reason", "records", "last_received")
    return [dict(zip(keys, row, strict=True)) for row in rows]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    replayed: int
    still_failing: int


def replay(
    lake: Lake, spool: Spool, *, wards: frozenset[TenantCode] | None, source: str | None = None
) -> ReplayReport:
    rows = quarantined(lake, wards=wards, source=source, limit=10_000_000)
    batches: list[Batch] = []
    ids: list[str] = []
    failing = 0
    for row in rows:
        raw = row["raw"] or b""
        try:
            parse_record(row["format"], raw, row["received"])
        except ParseError:
            failing += 1
            continue
        batches.append(
            Batch(
                ward=row["ward"],
                source=row["source"],
                format=row["format"],
                records=[raw],
                origin=row["origin"] or "real",
                received=row["received"],
                key=f"quarantine:{row['quarantine_id']}",
            )
        )
        ids.append(row["quarantine_id"])
    if batches:
        # Spool first, then mark: a crash in between replays twice (same event ids)
        # rather than losing the records.
        spool.append(batches, wait_seconds=30.0)
        _mark_resolved(lake, ids)
    return ReplayReport(len(ids), failing)
