"""Counts per ward, class, source and day; silent wards; the quarantine's contents.

The SOC's "are all wards sending?" view: for every ward in view, how many events of
which class arrived from which source each day, when the newest one was, and a warning
for a ward that has sent nothing for ``silent_ward_hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rengo.core.types import TenantCode
from rengo.core.wards import ward_codes
from rengo.soc.lake import Lake
from rengo.soc.quarantine import summary
from rengo.soc.schema import CLASSES


@dataclass
class SocStats:
    since: datetime
    until: datetime
    counts: list[dict[str, Any]]
    """{ward, class_uid, class_name, source, day, origin, events}"""
    last_seen: dict[str, datetime | None]
    silent_wards: list[str]
    quarantine: list[dict[str, Any]]
    """{ward, source, format, reason, records, last_received}"""
    total_events: int
    total_quarantined: int


def _ward_filter(wards: frozenset[TenantCode] | None) -> tuple[str, list[Any]]:
    if wards is None:
        return "", []
    return f" AND ward IN ({', '.join('?' for _ in wards) or 'NULL'})", sorted(wards)


def collect_stats(
    lake: Lake,
    *,
    wards: frozenset[TenantCode] | None,
    now: datetime,
    days: int = 14,
    silent_hours: float = 6.0,
) -> SocStats:
    since = now - timedelta(days=days)
    ward_sql, ward_params = _ward_filter(wards)
    counts: list[dict[str, Any]] = []
    last_seen: dict[str, datetime | None] = {
        code: None for code in sorted(wards if wards is not None else ward_codes())
    }
    files = lake.event_files(since.astimezone(UTC).date(), None, wards=wards)
    day_of = {path: day for day, path in files}
    source = lake.source_of(list(day_of), filename=True)
    groups: dict[tuple[Any, ...], list[Any]] = {}
    if source is not None:
        connection = lake.connect()
        try:
            # Grouped per file, whose partition is the day: no per-row date arithmetic.
            rows = connection.sql(
                f"SELECT filename, ward, class_uid, source, origin, count(*), max(time) "  # noqa: S608 - relation and columns from code, values bound
                f"FROM {source} WHERE true{ward_sql} GROUP BY ALL",
                params=ward_params,
            ).fetchall()
        finally:
            connection.close()
        for filename, ward, class_uid, src, origin, events, newest in rows:
            key = (day_of[filename], ward, class_uid, src or "", origin)
            group = groups.setdefault(key, [src, 0])
            group[1] += events
            if ward in last_seen and newest <= now:
                previous = last_seen[ward]
                last_seen[ward] = newest if previous is None else max(previous, newest)
    for (day, ward, class_uid, _, origin), (src, events) in sorted(
        groups.items(), key=lambda item: (-item[0][0].toordinal(), *item[0][1:])
    ):
        counts.append(
            {
                "ward": ward,
                "class_uid": class_uid,
                "class_name": CLASSES.get(class_uid, str(class_uid)),
                "source": src,
                "day": day,
                "origin": origin,
                "events": events,
            }
        )
    quarantine = summary(lake, wards=wards, since=since.date())
    cutoff = now - timedelta(hours=silent_hours)
    silent = [w for w, seen in last_seen.items() if seen is None or seen < cutoff]
    return SocStats(
        since=since,
        until=now,
        counts=counts,
        last_seen=last_seen,
        silent_wards=silent,
        quarantine=quarantine,
        total_events=sum(c["events"] for c in counts),
        total_quarantined=sum(q["records"] for q in quarantine),
    )
