"""Responses an exercise expects beyond alerts and incidents, read from the records the
joint centre keeps anyway: an intel advisory sent to the exercise's wards
(``rengo.intel``, published through ``rengo.notify``), and the CSIRT's reports on the
exercise's incident to the ward mayor, MIC, the police or the PPC (timeline messages
whose ``detail.to`` names them, ``rengo.csirt.changes.add_note``).

An advisory counts when it was published during the exercise, reaches every ward of
the result and names the exercise id (``EX-…``) in its title or summary — exercise
advisories say they are exercises, so a real one is never taken for it. A report
counts when it is on an incident the exercise opened (``csirt_incidents.exercise_id``)
that concerns the ward; the expectation is met when everyone in ``notify`` was told,
at the last of those times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rengo.core.wards import JOINT
from rengo.csirt.models import Incident, IncidentWard, TimelineEntry
from rengo.drills.models import Exercise, Result
from rengo.drills.scenario import Expectation, ExpectationKind
from rengo.intel.models import Advisory, AdvisoryRecipient

Fill = Callable[[Session, Exercise, Expectation, Result, datetime], None]
RESPONSES: dict[ExpectationKind, Fill] = {}


def register(kind: ExpectationKind) -> Callable[[Fill], Fill]:
    """Register how results of ``kind`` are filled (``scoring.update_results`` asks)."""

    def add(fn: Fill) -> Fill:
        RESPONSES[kind] = fn
        return fn

    return add


def advisory_reference(advisory_id: int) -> str:
    return f"ADV-{advisory_id}"


@register(ExpectationKind.ADVISORY)
def advisory_sent(
    session: Session, exercise: Exercise, expectation: Expectation, result: Result, now: datetime
) -> None:
    """The first advisory naming the exercise sent to all of its wards (``result.ward``
    alone for a per-ward result); acknowledged when a ward first acknowledged it."""
    wards = exercise.wards if result.ward == JOINT else [result.ward]
    pattern = f"%{exercise.public_id}%"
    candidates = session.scalars(
        select(Advisory)
        .where(Advisory.published_at >= exercise.start_at)
        .where(Advisory.published_at <= (exercise.ended_at or now))
        .where(or_(Advisory.title.like(pattern), Advisory.summary.like(pattern)))
        .order_by(Advisory.published_at, Advisory.id)
    )
    for advisory in candidates:
        copies = list(
            session.scalars(
                select(AdvisoryRecipient).where(
                    AdvisoryRecipient.advisory_id == advisory.id,
                    AdvisoryRecipient.ward.in_(wards),
                )
            )
        )
        if len({c.ward for c in copies}) < len(set(wards)):
            continue
        result.met_at, result.reference = advisory.published_at, advisory_reference(advisory.id)
        acked = sorted(
            (c for c in copies if c.acknowledged_at is not None),
            key=lambda c: c.acknowledged_at or now,
        )
        if acked:
            result.acknowledged_at = acked[0].acknowledged_at
            result.acknowledged_by = acked[0].acknowledged_by or ""
        return


@register(ExpectationKind.NOTIFICATION)
def reported(
    session: Session, exercise: Exercise, expectation: Expectation, result: Result, now: datetime
) -> None:
    """Every recipient of ``expectation.notify`` told on one of the exercise's incidents
    (of ``result.ward``): met at the last first report."""
    incidents = select(Incident.id).where(Incident.exercise_id == exercise.public_id)
    if result.ward != JOINT:
        incidents = incidents.where(
            Incident.id.in_(
                select(IncidentWard.incident_id).where(IncidentWard.ward == result.ward)
            )
        )
    first: dict[str, TimelineEntry] = {}
    for entry in session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(incidents), TimelineEntry.kind == "message")
        .order_by(TimelineEntry.at, TimelineEntry.id)
    ):
        for recipient in (entry.detail or {}).get("to", []):
            first.setdefault(str(recipient), entry)
    if not all(r in first for r in expectation.notify):
        return
    last = max((first[r] for r in expectation.notify), key=lambda e: e.at)
    result.met_at, result.acknowledged_by = last.at, last.actor
    result.reference = f"INC-{last.incident_id:06d}"
