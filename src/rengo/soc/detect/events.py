"""An alert's events and its host/user timeline, read back from the lake."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rengo.core.runtime import Runtime
from rengo.core.sql import literal, literal_list
from rengo.core.types import TenantCode
from rengo.soc.detect.runner import open_lake

COLUMNS = [
    "event_id",
    "time",
    "ward",
    "class_name",
    "message",
    "device_hostname",
    "user_name",
    "src_ip",
    "dst_ip",
    "process_cmd_line",
    "raw",
]
TIMELINE_MARGIN = timedelta(hours=1)
TIMELINE_LIMIT = 200


def _rows(
    runtime: Runtime,
    since: datetime,
    until: datetime,
    wards: list[TenantCode],
    where: str,
    limit: int,
) -> list[dict[str, Any]]:
    try:
        lake = open_lake(runtime)
    except RuntimeError:
        return []
    out: list[dict[str, Any]] = []
    for batch in lake.scan(since, until, wards=wards, columns=COLUMNS, where=where):
        out += batch.to_pylist()
        if len(out) >= limit:
            break
    return out[:limit]


def matched_events(
    runtime: Runtime, event_ids: list[str], wards: list[TenantCode], first: datetime, last: datetime
) -> list[dict[str, Any]]:
    """The stored records of ``event_ids`` (time-bounded so the lake prunes partitions)."""
    if not event_ids:
        return []
    ids = literal_list(event_ids[:1000])
    return _rows(
        runtime,
        first - timedelta(minutes=1),
        last + timedelta(minutes=1),
        wards,
        f"event_id IN ({ids})",
        len(event_ids),
    )


def timeline(
    runtime: Runtime,
    ward: TenantCode,
    host: str | None,
    user: str | None,
    first: datetime,
    last: datetime,
) -> list[dict[str, Any]]:
    """Events of the same host or user around the alert, oldest first."""
    conditions = []
    if host:
        conditions.append(f"lower(device_hostname) = {literal(host.lower())}")
    if user:
        conditions.append(f"lower(user_name) = {literal(user.lower())}")
    if not conditions:
        return []
    return _rows(
        runtime,
        first - TIMELINE_MARGIN,
        last + TIMELINE_MARGIN,
        [ward],
        " OR ".join(conditions),
        TIMELINE_LIMIT,
    )
