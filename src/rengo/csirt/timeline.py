"""The incident timeline: alerts, events, notes, actions, status changes and messages in
one time-ordered list (one indexed table, so that a timeline of thousands of entries
reads in one range scan)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
