"""Detections for alert tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from rengo.soc.detect.detector import Detection
from tests.soc.detect.helpers import T0


def detection(
    ward: str = "131016",
    rule: str = "r-1",
    *,
    minutes: float = 0,
    event: str | None = None,
    host: str | None = "pc-1",
    src_ip: str | None = None,
    level: str = "high",
    user: str | None = None,
    kind: str = "sigma",
) -> Detection:
    at: datetime = T0 + timedelta(minutes=minutes)
    return Detection(
        rule_id=rule,
        title=f"Rule {rule}",
        level=level,
        techniques=("T1110",),
        pack="test",
        kind=kind,
        ward=ward,
        origin="real",
        event_ids=(event or f"{ward}-{rule}-{minutes}",),
        first_time=at,
        last_time=at,
        host=host,
        user=user,
        src_ip=src_ip,
    )
