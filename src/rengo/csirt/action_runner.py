"""Running approved containment actions in the background, never in a request.

An approved action with a connector is *queued* (``status="approved"``,
``next_attempt_at``). The CSIRT worker claims due actions (``running`` with a lease, so
that one worker wins each and a crashed worker's claim runs out), makes one call to the
ward's endpoint per attempt, concurrently, and records each request and each answer on
the incident's timeline. Network errors, time-outs and 5xx answers are tried again after
``csirt.action_backoff_seconds`` (doubling) until ``attempt_limit``; a 4xx answer or a
refusal is final. The first success sets the incident's ``contained_at`` (MTTC's end) —
unless the simulated endpoint did it for a real incident: that success is recorded as
simulated and contains nothing, so it stays out of MTTC and the targets.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.permissions import SYSTEM
from rengo.core.settings import Settings
from rengo.csirt import timeline
from rengo.csirt.connectors import ActionCommand, ActionConnector, ActionResult, connector_for
from rengo.csirt.models import Connector, ContainmentAction, Incident

MAX_WORKERS = 16


def lease(settings: Settings) -> timedelta:
    """How long a claimed action stays claimed: one call's time-out and a margin."""
    return timedelta(seconds=settings.csirt.webhook_timeout_seconds * 2 + 60)


def queue(action: ContainmentAction, settings: Settings, now: datetime) -> None:
    """Hand an approved action with a connector to the worker: due now, a fresh budget."""
    if action.connector_id is None:
        return
    action.status = "approved"
    action.next_attempt_at = now
    action.attempt_limit = action.attempts + settings.csirt.action_attempts


@dataclass(frozen=True, slots=True)
class _Claimed:
    action_id: int
    incident_id: int
    attempt: int
    attempt_limit: int
    via: str
    url: str
    command: ActionCommand
    connector: ActionConnector


@dataclass(frozen=True, slots=True)
class RunReport:
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0


def _due(now: datetime) -> ColumnElement[bool]:
    queued = and_(ContainmentAction.status == "approved", ContainmentAction.next_attempt_at <= now)
    abandoned = and_(
        ContainmentAction.status == "running", ContainmentAction.next_attempt_at <= now
    )
    return and_(ContainmentAction.connector_id.is_not(None), or_(queued, abandoned))


def _claim(
    db: Database, settings: Settings, clock: Clock, limit: int, only: int | None
) -> list[_Claimed]:
    now = clock.now()
    claimed: list[_Claimed] = []
    with db.session() as session:
        stmt = (
            select(ContainmentAction.id)
            .where(_due(now))
            .order_by(ContainmentAction.next_attempt_at, ContainmentAction.id)
        )
        if only is not None:
            stmt = stmt.where(ContainmentAction.id == only)
        for action_id in session.scalars(stmt.limit(limit)).all():
            won = session.execute(
                update(ContainmentAction)
                .where(ContainmentAction.id == action_id, _due(now))
                .values(status="running", next_attempt_at=now + lease(settings))
            ).rowcount  # type: ignore[attr-defined]
            if not won:
                continue
            action = session.get(ContainmentAction, action_id)
            assert action is not None and action.connector_id is not None
            row = session.get(Connector, action.connector_id)
            incident = session.get(Incident, action.incident_id)
            assert row is not None and incident is not None
            command = ActionCommand(
                action.id,
                incident.ref,
                action.ward,
                action.kind,
                action.target,
                action.reason,
                action.requested_by,
                action.decided_by,
            )
            claimed.append(
                _Claimed(
                    action.id,
                    action.incident_id,
                    action.attempts + 1,
                    max(action.attempt_limit, action.attempts + 1),
                    row.name,
                    row.url,
                    command,
                    connector_for(row, settings.csirt, db, clock, origin=incident.origin),
                )
            )
    return claimed


def run_due(
    db: Database, settings: Settings, clock: Clock, *, limit: int = 50, only: int | None = None
) -> RunReport:
    """One attempt for every due action (or just ``only``), concurrently; record each."""
    claimed = _claim(db, settings, clock, limit, only)
    if not claimed:
        return RunReport()

    def call(item: _Claimed) -> tuple[_Claimed, datetime, ActionResult, datetime]:
        sent_at = clock.now()
        try:
            result = item.connector.attempt(item.command)
        except Exception as exc:  # a connector bug must not leave the action claimed
            result = ActionResult(False, error=f"{type(exc).__name__}: {exc}", retry=True)
        return item, sent_at, result, clock.now()

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(claimed))) as pool:
        outcomes = list(pool.map(call, claimed))
    counts = {"succeeded": 0, "retrying": 0, "failed": 0}
    for item, sent_at, result, answered_at in outcomes:
        with db.session() as session:
            counts[record_attempt(session, item, sent_at, result, answered_at, settings)] += 1
    return RunReport(**counts)


def record_attempt(
    session: Session,
    item: _Claimed,
    sent_at: datetime,
    result: ActionResult,
    now: datetime,
    settings: Settings,
) -> str:
    """The request and the answer on the timeline; the action succeeds, waits or fails."""
    action = session.get(ContainmentAction, item.action_id)
    assert action is not None
    action.attempts = item.attempt
    action.response, action.external_ref, action.error = (
        result.detail,
        result.reference,
        result.error,
    )
    what = f"{action.kind} {action.target}"
    timeline.add(
        session,
        action.incident_id,
        "action",
        f"Sent {what} to {action.ward} via {item.via} (attempt {item.attempt} of {item.attempt_limit})",
        actor="rengo",
        at=sent_at,
        detail={"action": action.id, "request": _request_detail(item), "attempt": item.attempt},
    )
    if result.ok:
        action.status, action.completed_at, action.next_attempt_at = "succeeded", now, None
        incident = session.get(Incident, action.incident_id)
        only_simulated = result.simulated and incident is not None and incident.origin == "real"
        done = "Simulated (nothing contained)" if only_simulated else "Done"
        timeline.add(
            session,
            action.incident_id,
            "action",
            f"{done}: {what} at {action.ward} (ref {result.reference or '—'})",
            actor=item.via,
            at=now,
            detail={"action": action.id, "response": result.detail, "simulated": result.simulated},
        )
        if not only_simulated:
            first_containment(session, action, now)
        outcome = "succeeded"
    elif result.retry and item.attempt < item.attempt_limit:
        wait = settings.csirt.action_backoff_seconds * 2 ** (item.attempt - 1)
        action.status, action.next_attempt_at = "approved", now + timedelta(seconds=wait)
        timeline.add(
            session,
            action.incident_id,
            "action",
            f"No success yet: {what} at {action.ward}: {result.error}; trying again in {wait:g} s",
            actor=item.via,
            at=now,
            detail={
                "action": action.id,
                "response": result.detail,
                "error": result.error,
                "retry_in_seconds": wait,
            },
        )
        return "retrying"
    else:
        action.status, action.next_attempt_at = "failed", None
        timeline.add(
            session,
            action.incident_id,
            "action",
            f"Failed: {what} at {action.ward}: {result.error}",
            actor=item.via,
            at=now,
            detail={"action": action.id, "response": result.detail, "error": result.error},
        )
        outcome = "failed"
    audit.record(
        session,
        SYSTEM,
        "csirt.action.result",
        object_type="containment_action",
        object_id=action.id,
        object_tenant=action.ward,
        detail={
            "ok": result.ok,
            "reference": result.reference,
            "error": result.error[:500],
            "simulated": result.simulated,
            "attempts": action.attempts,
        },
    )
    return outcome


def _request_detail(item: _Claimed) -> dict[str, object]:
    """What was sent (no key: the signature header is computed from a named secret)."""
    sent: dict[str, object] = {
        "kind": item.command.kind,
        "target": item.command.target,
        "incident": item.command.incident,
        "ward": item.command.ward,
    }
    if item.url:
        sent["url"] = item.url
    return sent


def first_containment(session: Session, action: ContainmentAction, now: datetime) -> None:
    incident = session.get(Incident, action.incident_id)
    if incident is None or (incident.contained_at is not None and incident.contained_at <= now):
        return
    incident.contained_at = now
    minutes = (now - incident.detected_at).total_seconds() / 60
    timeline.add(
        session,
        incident.id,
        "system",
        f"First containment {minutes:.0f} min after detection",
        actor="rengo",
        at=now,
        detail={"action": action.id, "mttc_minutes": round(minutes, 2)},
    )


def next_due(db: Database) -> datetime | None:
    """When the earliest queued action is due (the worker wakes for it)."""
    with db.session() as session:
        return session.scalar(
            select(func.min(ContainmentAction.next_attempt_at)).where(
                ContainmentAction.status == "approved", ContainmentAction.connector_id.is_not(None)
            )
        )


def run_action(db: Database, settings: Settings, clock: Clock, action_id: int) -> ContainmentAction:
    """One attempt for this action now if it is due (the demo runs its actions this way)."""
    run_due(db, settings, clock, only=action_id)
    with db.session() as session:
        action = session.get(ContainmentAction, action_id)
        assert action is not None
        session.expunge(action)
    return action
