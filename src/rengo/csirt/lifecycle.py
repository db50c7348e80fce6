"""The incident life cycle: new → triage → containment → eradication → recovery → closed.

Rules (each answers a clear error naming what is missing):

- every transition says why; the reason, the time and who are kept on the timeline;
- forward moves may skip stages (a false positive goes triage → closed), backward moves
  re-open an incident;
- closing needs a recorded cause and a report summary, and no containment action still
  waiting for approval;
- the post-incident review happens after closing.

Stage times are set from the transitions, never typed in: ``acknowledged_at`` when the
incident first leaves *new*, ``eradicated_at`` when it first enters *recovery*,
``recovered_at`` when it first closes, ``closed_at`` at the latest close. The
containment time comes from the first successful containment action (``actions``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core.errors import Conflict, ProblemList
from rengo.csirt.models import ContainmentAction, Incident
from rengo.csirt.vocabulary import STATUSES

ORDER = ("new", "triage", "containment", "eradication", "recovery", "closed")
OPEN_STATUSES = ORDER[:-1]


def check_transition(session: Session, incident: Incident, to: str) -> None:
    if incident.merged_into_id is not None:
        raise Conflict(
            "{ref} was merged into INC-{merged_into_id:06d}",
            values={"ref": incident.ref, "merged_into_id": incident.merged_into_id},
        )
    if to == incident.status:
        raise Conflict(
            "{ref} is already {to}", values={"ref": incident.ref, "to": STATUSES.get(to, to)}
        )
    if to == "new":
        raise Conflict("an incident cannot go back to new; re-open it to triage")
    if to != "closed":
        return
    problems = ProblemList()
    if not incident.cause.strip():
        problems.add("record the cause before closing", "field cause")
    if not incident.report_summary.strip():
        problems.add("write the report summary before closing", "field report_summary")
    waiting = session.scalar(
        select(func.count())
        .select_from(ContainmentAction)
        .where(ContainmentAction.incident_id == incident.id)
        .where(ContainmentAction.status == "pending_approval")
    )
    if waiting:
        problems.add(
            "{waiting} containment action(s) still wait for approval",
            "actions",
            values={"waiting": waiting},
        )
    problems.raise_if_any("{ref} cannot be closed yet", values={"ref": incident.ref})


def apply_transition(incident: Incident, to: str, now: datetime) -> str:
    """Move the incident and stamp stage times; returns the state it left."""
    previous = incident.status
    incident.status = to
    if previous == "new" and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    if to == "recovery" and incident.eradicated_at is None:
        incident.eradicated_at = now
    if to == "closed":
        incident.closed_at = now
        if incident.recovered_at is None:
            incident.recovered_at = now
    elif previous == "closed":
        incident.closed_at = None
    return previous
