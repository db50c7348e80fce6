"""The narrow port through which the CSIRT reads SOC alerts (csirt may use soc, never the
reverse).

``AlertSource`` is what incidents need of an alert; ``rengo.csirt.soc_adapter.SocAlertSource``
implements it over the SOC's alert service. The web app keeps the source in
``app.state.csirt_alert_source`` so that tests can put a double there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from rengo.core.permissions import Principal
from rengo.core.types import TenantCode


@dataclass(frozen=True, slots=True)
class AlertRef:
    id: str
    ward: TenantCode
    title: str
    severity: str
    detected_at: datetime
    event_ids: tuple[str, ...] = ()
    first_event_at: datetime | None = None
    indicators: tuple[tuple[str, str], ...] = field(default=())
    """(kind, value) pairs, kinds as in ``rengo.csirt.indicators.KINDS``."""
    wards: tuple[str, ...] = ()
    """Every ward a cross-ward (campaign) alert spans; empty: just ``ward``."""
    exercise: str | None = None
    """The exercise (``EX-…``) whose telemetry raised it: an incident opened from it is
    exercise data from the start (``origin=exercise``), never counted in real KPIs."""


@dataclass(frozen=True, slots=True)
class AlertCounts:
    """How many SOC alerts were raised in a period: in all, per level, cross-ward campaigns."""

    total: int
    by_level: dict[str, int] = field(default_factory=dict)
    campaigns: int = 0


class AlertSource(Protocol):
    def get(self, session: Session, principal: Principal, ids: Sequence[str]) -> list[AlertRef]:
        """The alerts with these public ids that ``principal`` may see (others are absent)."""
        ...

    def mark(
        self, session: Session, principal: Principal, ids: Sequence[str], incident_ref: str
    ) -> None:
        """Tell the SOC these alerts are now handled by an incident."""
        ...

    def count(
        self, session: Session, wards: Sequence[TenantCode] | None, start: datetime, end: datetime
    ) -> AlertCounts | None:
        """Alerts raised in [start, end) for these wards (``None``: every ward and the
        cross-ward campaigns), exercises left out; ``None`` when the SOC cannot say.
        The caller has decided that its reader may see these wards' figures."""
        ...
