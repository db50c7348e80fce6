"""Incident search: a ward's list (one index range scan of ``csirt_incident_wards``) or,
for the joint centre, every ward's, filtered and numbered in pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.errors import NotFound
from rengo.core.permissions import Principal, visible_tenants
from rengo.core.types import Page, TenantCode
from rengo.csirt import lifecycle
from rengo.csirt.models import Incident, IncidentWard


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    ward: TenantCode | None = None
    status: str | None = None
    open_only: bool = False
    severity: str | None = None
    category: str | None = None
    major: bool | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class IncidentPage(Page[Incident]):
    wards: dict[int, list[str]] = field(default_factory=dict)
    """The wards of each listed incident, by incident id."""


def _scope(principal: Principal, f: IncidentFilter) -> str | None:
    """The one ward the query is about, or ``None`` for every ward (the joint centre)."""
    visible = visible_tenants(principal, "csirt.incidents.read")
    if visible is not None and f.ward is not None and f.ward not in visible:
        raise NotFound("no incidents of {ward} visible", values={"ward": f.ward})
    if visible is not None and f.ward is None:
        return principal.tenant
    return f.ward


def _incident_conditions(f: IncidentFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.status:
        conditions.append(Incident.status == f.status)
    elif f.open_only:
        # IN over the open states uses the (status, detected_at) index; != would not.
        conditions.append(Incident.status.in_(lifecycle.OPEN_STATUSES))
    if f.severity:
        conditions.append(Incident.severity == f.severity)
    if f.category:
        conditions.append(Incident.category == f.category)
    if f.major is not None:
        conditions.append(Incident.major.is_(f.major))
    if f.q:
        conditions.append(func.lower(Incident.title).contains(f.q.lower()))
    return conditions


def search(session: Session, principal: Principal, f: IncidentFilter) -> IncidentPage:
    ward = _scope(principal, f)
    conditions = _incident_conditions(f)
    stmt = select(Incident)
    detected: Any = Incident.detected_at
    if ward is not None:
        # The ward's index (ward, detected_at) drives the query, newest first.
        stmt = stmt.join(
            IncidentWard, (IncidentWard.incident_id == Incident.id) & (IncidentWard.ward == ward)
        )
        detected = IncidentWard.detected_at
    times = ([detected >= f.since] if f.since else []) + ([detected < f.until] if f.until else [])
    stmt = stmt.where(*conditions, *times).order_by(detected.desc(), Incident.id.desc())
    if conditions:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    elif ward is not None:
        # Nothing to check on the incidents themselves: count index entries of the ward.
        counted = (
            select(func.count()).select_from(IncidentWard).where(IncidentWard.ward == ward, *times)
        )
    else:
        counted = select(func.count()).select_from(Incident).where(*times)
    total = session.scalar(counted) or 0
    items = list(session.scalars(stmt.limit(f.per_page).offset((f.page - 1) * f.per_page)))
    wards: dict[int, list[str]] = {i.id: [] for i in items}
    if items:
        for incident_id, ward in session.execute(
            select(IncidentWard.incident_id, IncidentWard.ward)
            .where(IncidentWard.incident_id.in_(list(wards)))
            .order_by(IncidentWard.ward)
        ):
            wards[incident_id].append(ward)
    return IncidentPage(items, total, f.page, f.per_page, wards=wards)
