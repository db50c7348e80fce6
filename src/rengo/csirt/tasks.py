"""Tasks on an incident: who does what by when; each change shows on the timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.identity import User
from rengo.core.permissions import Principal
from rengo.csirt import timeline
from rengo.csirt.incidents import get_incident
from rengo.csirt.models import Task


def add_task(
    session: Session,
    principal: Principal,
    incident_id: int,
    *,
    title: str,
    assignee: str | None,
    due_at: datetime | None,
    now: datetime,
) -> Task:
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
    if assignee and session.scalar(select(User.id).where(User.username == assignee)) is None:
        raise InvalidInput(
            "unknown assignee",
            [Problem("no user {assignee!r}", "field assignee", values={"assignee": assignee})],
        )
    task = Task(
        incident_id=incident.id,
        title=title,
        assignee=assignee,
        due_at=due_at,
        created_by=principal.label,
        created_at=now,
    )
    session.add(task)
    session.flush()
    due = f", due {due_at.isoformat()}" if due_at else ""
    timeline.add_audited(
        session,
        principal,
        incident.id,
        "task",
        f"Task: {title} → {assignee or 'unassigned'}{due}",
        at=now,
        detail={"task": task.id},
        audit_action="csirt.task.create",
        audited=("task", task.id, incident.lead_ward),
        audit_detail={"incident": incident.id},
    )
    return task


def complete_task(session: Session, principal: Principal, task_id: int, now: datetime) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task {task_id} not found", values={"task_id": task_id})
    incident = get_incident(session, principal, task.incident_id, "csirt.incidents.write")
    if task.done_at is not None:
        raise Conflict("task {task_id} is already done", values={"task_id": task_id})
    task.done_at = now
    timeline.add_audited(
        session,
        principal,
        incident.id,
        "task",
        f"Task done: {task.title}",
        at=now,
        detail={"task": task.id},
        audit_action="csirt.task.done",
        audited=("task", task.id, incident.lead_ward),
    )
    return task


def tasks_of(session: Session, incident_id: int) -> list[Task]:
    return list(
        session.scalars(select(Task).where(Task.incident_id == incident_id).order_by(Task.id))
    )
