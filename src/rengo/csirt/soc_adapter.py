"""``AlertSource`` over the SOC's alert service (``rengo.soc.alerts``, csirt → soc only).

An alert becomes an ``AlertRef``: its public id, ward (a campaign's wards), rule title,
level, when it was raised, its first matched event, the matched event ids (an audited
read in the SOC) and its indicators (source address, the indicator that hit). Opening an
incident closes the alerts with the reason ``incident_opened`` and the incident's number.
Monthly reports count the alerts the SOC raised (``created_at``) per level: a ward's own
alerts, or for the joint centre every ward's and the cross-ward campaigns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.clock import Clock
from rengo.core.errors import Forbidden, NotFound
from rengo.core.permissions import Principal
from rengo.core.types import TenantCode
from rengo.csirt import indicators
from rengo.csirt.alerts import AlertCounts, AlertRef
from rengo.soc import alerts as soc_alerts
from rengo.soc.alerts_models import Alert


class SocAlertSource:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def get(self, session: Session, principal: Principal, ids: Sequence[str]) -> list[AlertRef]:
        refs = []
        for alert in soc_alerts.get_alerts(session, principal, list(ids)):
            found: list[tuple[str, str]] = []
            if alert.src_ip:
                try:
                    item = indicators.normalise("ipv4", alert.src_ip)
                    found.append((item.kind, item.value))
                except ValueError:
                    pass
            if alert.indicator:
                found += [(i.kind, i.value) for i in indicators.extract(alert.indicator)]
            refs.append(
                AlertRef(
                    id=alert.public_id,
                    ward=alert.tenant,
                    title=alert.rule_title,
                    severity=alert.level,
                    detected_at=alert.created_at,
                    first_event_at=alert.first_seen,
                    event_ids=tuple(
                        soc_alerts.matched_event_ids(session, principal, alert.public_id)
                    ),
                    indicators=tuple(found),
                    wards=tuple(alert.wards or ()),
                    exercise=alert.exercise_id,
                )
            )
        return refs

    def mark(
        self, session: Session, principal: Principal, ids: Sequence[str], incident_ref: str
    ) -> None:
        for public_id in ids:
            try:
                soc_alerts.set_status(
                    session,
                    principal,
                    public_id,
                    "closed",
                    reason="incident_opened",
                    note=incident_ref,
                    now=self.clock.now(),
                )
            except (Forbidden, NotFound):
                # Someone who may open incidents but not triage alerts: the SOC keeps the
                # alert open and the incident still names it.
                continue

    def count(
        self, session: Session, wards: Sequence[TenantCode] | None, start: datetime, end: datetime
    ) -> AlertCounts | None:
        stmt = (
            select(Alert.level, Alert.kind, func.count())
            .where(Alert.created_at >= start, Alert.created_at < end, Alert.origin != "exercise")
            .group_by(Alert.level, Alert.kind)
        )
        if wards is not None:
            stmt = stmt.where(Alert.tenant.in_(sorted(wards)))
        by_level: dict[str, int] = {}
        campaigns = 0
        for level, kind, n in session.execute(stmt):
            by_level[level] = by_level.get(level, 0) + n
            campaigns += n if kind == "campaign" else 0
        return AlertCounts(sum(by_level.values()), by_level, campaigns)
