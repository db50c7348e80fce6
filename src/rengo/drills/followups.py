"""Follow-up tasks of exercises, worked and closed: a missed expectation became a task (a
rule to write, a playbook to fix) for a ward or the joint centre (``scoring.finish``);
here its owner marks it done with a note or reopens it, and the planner reassigns it
(owner, due date). Each change is one audit entry; a ward that does not own a task gets
404 for it, as for any other ward's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant
from rengo.drills.models import Exercise, FollowUp

MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class Listed:
    """A follow-up with the exercise it came from."""

    followup: FollowUp
    exercise: Exercise


def _visible(session: Session, principal: Principal, followup_id: int) -> FollowUp:
    """The task, locked for an update, if ``principal`` may see it (else 404)."""
    followup = session.scalar(select(FollowUp).where(FollowUp.id == followup_id).with_for_update())
    if followup is None:
        raise NotFound("no such follow-up task", [Problem(str(followup_id), "followup")])
    require(principal, "drills.exercises.read", followup.owner, hide=True)
    return followup


def get_followup(session: Session, principal: Principal, followup_id: int) -> Listed:
    followup = _visible(session, principal, followup_id)
    exercise = session.get(Exercise, followup.exercise_id)
    assert exercise is not None
    return Listed(followup, exercise)


def list_followups(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode | None = None,
    open_only: bool = True,
) -> list[Listed]:
    """Tasks a principal may see (a ward: its own; the joint centre: all), earliest due first."""
    owners = narrow_to_visible(principal, "drills.exercises.read", ward)
    stmt = (
        select(FollowUp, Exercise)
        .join(Exercise, Exercise.id == FollowUp.exercise_id)
        .order_by(FollowUp.due_on, FollowUp.id)
    )
    if owners is not None:
        stmt = stmt.where(FollowUp.owner.in_(owners))
    if open_only:
        stmt = stmt.where(FollowUp.done_at.is_(None))
    return [Listed(f, e) for f, e in session.execute(stmt).all()]


def _record(
    session: Session,
    principal: Principal,
    followup: FollowUp,
    action: str,
    detail: dict[str, Any],
    now: datetime,
    client: str,
) -> None:
    audit.record(
        session,
        principal,
        f"drills.followup.{action}",
        object_type="drills_followup",
        object_id=followup.id,
        object_tenant=followup.owner,
        detail=detail,
        client=client,
        at=now,
    )


def mark_done(
    session: Session,
    principal: Principal,
    followup_id: int,
    note: str,
    now: datetime,
    *,
    client: str = "",
) -> FollowUp:
    """Close a task with what was done (the owner ward's staff, or the joint centre)."""
    followup = _visible(session, principal, followup_id)
    require(principal, "drills.followups.work", followup.owner)
    note = note.strip()
    if not note:
        raise InvalidInput("say what was done", [Problem("a note is required", "field note")])
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            "note too long",
            [Problem("at most {limit} characters", "field note", {"limit": MAX_NOTE})],
        )
    if followup.done_at is not None:
        raise Conflict("the follow-up task is already done")
    followup.done_at = now
    followup.done_by = principal.label
    followup.done_note = note
    _record(session, principal, followup, "done", {"note": note}, now, client)
    session.flush()
    return followup


def reopen(
    session: Session,
    principal: Principal,
    followup_id: int,
    now: datetime,
    *,
    client: str = "",
) -> FollowUp:
    """Open a closed task again (its note is kept in the audit log)."""
    followup = _visible(session, principal, followup_id)
    require(principal, "drills.followups.work", followup.owner)
    if followup.done_at is None:
        raise Conflict("the follow-up task is open")
    detail = {"was_done_at": followup.done_at.isoformat(), "note": followup.done_note}
    followup.done_at = None
    followup.done_by = ""
    followup.done_note = ""
    _record(session, principal, followup, "reopen", detail, now, client)
    session.flush()
    return followup


def reassign(
    session: Session,
    principal: Principal,
    followup_id: int,
    now: datetime,
    *,
    owner: TenantCode | None = None,
    due_on: date | None = None,
    client: str = "",
) -> FollowUp:
    """Give a task to another ward or the joint centre, or move its due date (the planner)."""
    followup = _visible(session, principal, followup_id)
    require(principal, "drills.followups.assign")
    if owner is not None and not is_tenant(owner):
        raise InvalidInput(
            "unknown owner", [Problem("not a ward code: {code}", "field owner", {"code": owner})]
        )
    detail: dict[str, Any] = {}
    if owner is not None and owner != followup.owner:
        detail["owner"] = [followup.owner, owner]
        followup.owner = owner
    if due_on is not None and due_on != followup.due_on:
        detail["due_on"] = [followup.due_on.isoformat(), due_on.isoformat()]
        followup.due_on = due_on
    if detail:
        _record(session, principal, followup, "reassign", detail, now, client)
    session.flush()
    return followup
