"""The incident timeline: alerts, events, notes, actions, status changes and messages in
one time-ordered list (one indexed table, so that a timeline of thousands of entries
reads in one range scan)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import Principal
from rengo.core.types import TenantCode
from rengo.csirt.models import TimelineEntry
from rengo.csirt.vocabulary import TIMELINE_KINDS


def add(
    session: Session,
    incident_id: int,
    kind: str,
    summary: str,
    *,
    actor: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> TimelineEntry:
    if kind not in TIMELINE_KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    entry = TimelineEntry(
        incident_id=incident_id,
        at=at,
        kind=kind,
        actor=actor,
        summary=summary,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def add_audited(
    session: Session,
    principal: Principal,
    incident_id: int,
    kind: str,
    summary: str,
    *,
    at: datetime,
    detail: dict[str, Any] | None,
    audit_action: str,
    audited: tuple[str, int, TenantCode],
    client: str = "",
    audit_detail: dict[str, Any] | None = None,
) -> TimelineEntry:
    """A step ``principal`` took, on the incident's timeline and in the audit log
    (``audited``: the object's type, id and tenant)."""
    entry = add(session, incident_id, kind, summary, actor=principal.label, at=at, detail=detail)
    object_type, object_id, object_tenant = audited
    audit.record(
        session,
        principal,
        audit_action,
        object_type=object_type,
        object_id=object_id,
        object_tenant=object_tenant,
        client=client,
        detail=audit_detail,
    )
    return entry


def entries(
    session: Session,
    incident_id: int,
    *,
    kinds: set[str] | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 200,
    newest_first: bool = False,
) -> list[TimelineEntry]:
    """Entries in time order; ``after`` = (time, id) of the last entry seen (keyset paging)."""
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    if kinds:
        stmt = stmt.where(TimelineEntry.kind.in_(sorted(kinds)))
    if after is not None:
        at, entry_id = after
        if newest_first:
            stmt = stmt.where(
                (TimelineEntry.at < at) | ((TimelineEntry.at == at) & (TimelineEntry.id < entry_id))
            )
        else:
            stmt = stmt.where(
                (TimelineEntry.at > at) | ((TimelineEntry.at == at) & (TimelineEntry.id > entry_id))
            )
    if newest_first:
        stmt = stmt.order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
    else:
        stmt = stmt.order_by(TimelineEntry.at, TimelineEntry.id)
    return list(session.scalars(stmt.limit(limit)))
