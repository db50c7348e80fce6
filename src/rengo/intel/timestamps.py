"""STIX and TAXII timestamps: RFC 3339 in UTC with a 'Z', microseconds on the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_STAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:?\d{2})?$"
)


def parse(value: str) -> datetime:
    """An aware UTC datetime; fractions beyond microseconds are cut. ValueError when malformed."""
    match = _STAMP.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp like 2024-05-01T09:00:00.000Z")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        min(int(second), 59),
        micro,
        tzinfo=UTC,
    )
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        moment -= timedelta(minutes=offset)
    return moment


def format(moment: datetime) -> str:
    """'2024-05-01T09:00:00.123456Z' (TAXII date_added and headers)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stix(moment: datetime) -> str:
    """'2024-05-01T09:00:00.123Z' (created/modified of objects rengo writes)."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
