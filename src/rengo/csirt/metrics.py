"""Response times computed from recorded times, never typed in.

- MTTD: detection − first malicious activity (``occurred_at``, from the alerts' first
  matched event or the reporter's account);
- MTTA: acknowledgement (first move out of *new*) − detection;
- MTTC: first successful containment action − detection.

All arithmetic is on aware UTC datetimes, so an incident detected at 23:30 JST and
contained at 00:10 JST the next day counts 40 minutes whatever the display zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from rengo.csirt.models import Incident


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60, 2)


@dataclass(frozen=True, slots=True)
class Durations:
    mttd_minutes: float | None
    mtta_minutes: float | None
    mttc_minutes: float | None


def durations(incident: Incident) -> Durations:
    return Durations(
        minutes_between(incident.occurred_at, incident.detected_at),
        minutes_between(incident.detected_at, incident.acknowledged_at),
        minutes_between(incident.detected_at, incident.contained_at),
    )


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` in 0..1), the definition SLA reports use."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]
