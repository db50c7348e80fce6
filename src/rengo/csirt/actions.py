"""Containment actions: request → (second-person approval if disruptive) → queued for
the ward's connector → succeeded or failed, every step on the incident's timeline.

A request never waits for a ward's endpoint: approval queues the action and the CSIRT
worker carries it out (``rengo.csirt.action_runner``). Without a connector the ward
does it by hand and confirms; the first success sets ``contained_at`` (MTTC's end).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.acting import Acting
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, require
from rengo.core.types import TenantCode
from rengo.csirt import timeline
from rengo.csirt.action_runner import first_containment, queue
from rengo.csirt.incidents import get_incident, wards_of
from rengo.csirt.models import Connector, ContainmentAction
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.vocabulary import ACTION_KINDS, ACTION_STATUSES


def identity_key(principal: Principal) -> str:
    """Who a person is, whatever credential they use (a user's tokens count as the user)."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    return f"name:{principal.label}"


def _pick_connector(
    session: Session, ward: TenantCode, kind: str, wanted: int | None
) -> Connector | None:
    if wanted is not None:
        row = session.get(Connector, wanted)
        if row is None or row.tenant != ward:
            raise InvalidInput(
                "unknown connector",
                [
                    Problem(
                        "no connector {wanted} at {ward}",
                        "field connector_id",
                        values={"wanted": wanted, "ward": ward},
                    )
                ],
            )
        if kind not in row.capabilities or not row.enabled:
            raise InvalidInput(
                "connector cannot do this",
                [
                    Problem(
                        "{name} cannot {kind}",
                        "field connector_id",
                        values={"name": row.name, "kind": kind},
                    )
                ],
            )
        return row
    for row in session.scalars(
        select(Connector)
        .where(Connector.tenant == ward, Connector.enabled.is_(True))
        .order_by(Connector.id)
    ):
        if kind in row.capabilities:
            return row
    return None


# -- requesting and deciding -------------------------------------------------------------


def request_action(
    by: Acting,
    incident_id: int,
    *,
    kind: str,
    target: str,
    reason: str,
    ward: TenantCode | None,
    connector_id: int | None,
) -> ContainmentAction:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    incident = get_incident(session, principal, incident_id, "csirt.actions.request")
    if incident.status == "closed":
        raise Conflict("{ref} is closed", values={"ref": incident.ref})
    if kind not in ACTION_KINDS:
        raise InvalidInput(
            "unknown action", [Problem("{kind!r}", "field kind", values={"kind": kind})]
        )
    involved = wards_of(session, incident.id)
    ward = ward or incident.lead_ward
    if ward not in involved:
        raise InvalidInput(
            "not an involved ward",
            [
                Problem(
                    "{ward} is not involved in {ref}",
                    "field ward",
                    values={"ward": ward, "ref": incident.ref},
                )
            ],
        )
    require(principal, "csirt.actions.request", ward)
    connector = _pick_connector(session, ward, kind, connector_id)
    disruptive = kind in settings.section(CsirtSettings).disruptive_actions
    action = ContainmentAction(
        incident_id=incident.id,
        ward=ward,
        connector_id=connector.id if connector else None,
        kind=kind,
        target=target.strip(),
        reason=reason,
        disruptive=disruptive,
        status="pending_approval" if disruptive else "approved",
        requested_by=principal.label,
        requester_key=identity_key(principal),
        requested_at=now,
        attempts=0,
    )
    if not disruptive:
        queue(action, settings, now)
    session.add(action)
    session.flush()
    via = connector.name if connector else "by hand (no connector)"
    need = "; needs approval by a second person" if disruptive else ""
    _record(
        session,
        principal,
        action,
        "request",
        f"Requested {kind} {action.target} at {ward} via {via}{need}",
        now=now,
        client=client,
        detail={"kind": kind, "target": action.target, "reason": reason, "status": action.status},
        audit_detail={"incident": incident.id, "kind": kind, "target": action.target},
    )
    return action


def get_action(session: Session, principal: Principal, action_id: int) -> ContainmentAction:
    action = session.get(ContainmentAction, action_id)
    if action is None:
        raise NotFound("action {action_id} not found", values={"action_id": action_id})
    get_incident(session, principal, action.incident_id)
    return action


def action_of_incident(
    session: Session, principal: Principal, incident_id: int, action_id: int
) -> ContainmentAction:
    """One action of one incident: another incident's action is not found under this one."""
    action = get_action(session, principal, action_id)
    if action.incident_id != incident_id:
        raise NotFound("action {action_id} not found", values={"action_id": action_id})
    return action


def actions_of(session: Session, incident_id: int) -> list[ContainmentAction]:
    return list(
        session.scalars(
            select(ContainmentAction)
            .where(ContainmentAction.incident_id == incident_id)
            .order_by(ContainmentAction.id)
        )
    )


def decide(by: Acting, action_id: int, *, approve: bool, note: str) -> ContainmentAction:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    action = get_action(session, principal, action_id)
    require(principal, "csirt.actions.approve", action.ward)
    if action.status != "pending_approval":
        raise Conflict(
            "action {id} is {status}, not waiting for approval",
            values={"id": action.id, "status": ACTION_STATUSES.get(action.status, action.status)},
        )
    if identity_key(principal) == action.requester_key:
        raise Forbidden("a disruptive action needs a second person: you asked for it yourself")
    action.status = "approved" if approve else "rejected"
    action.decided_by, action.decided_at, action.decision_note = principal.label, now, note
    if approve:
        queue(action, settings, now)
    verb = "Approved" if approve else "Rejected"
    _record(
        session,
        principal,
        action,
        "approve" if approve else "reject",
        f"{verb} {action.kind} {action.target} at {action.ward}" + (f": {note}" if note else ""),
        now=now,
        client=client,
        detail={"status": action.status},
        audit_detail={"note": note},
    )
    return action


def confirm_by_hand(by: Acting, action_id: int, *, succeeded: bool, note: str) -> ContainmentAction:
    """For an action with no connector: the ward says it was done (or could not be)."""
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    action = get_action(session, principal, action_id)
    require(principal, "csirt.actions.request", action.ward)
    if action.connector_id is not None or action.status != "approved":
        raise Conflict(
            "action {id} is {status} and runs through its connector",
            values={"id": action.id, "status": ACTION_STATUSES.get(action.status, action.status)},
        )
    action.attempts += 1
    action.response = {"confirmed_by": principal.label, "note": note}
    action.external_ref = f"manual:{principal.label}"[:128]
    what = f"{action.kind} {action.target} at {action.ward}"
    if succeeded:
        action.status, action.completed_at, action.error = "succeeded", now, ""
        text = f"Done: {what} (confirmed by hand)"
    else:
        action.status, action.error = "failed", note or "failed"
        text = f"Failed: {what}: {action.error}"
    _record(
        session,
        principal,
        action,
        "confirm",
        text,
        now=now,
        client=client,
        detail={"note": note},
        audit_detail={"succeeded": succeeded, "note": note},
    )
    if succeeded:
        first_containment(session, action, now)
    return action


def retry(by: Acting, action_id: int) -> ContainmentAction:
    """Queue a failed action again, with a fresh budget of attempts."""
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    action = get_action(session, principal, action_id)
    require(principal, "csirt.actions.request", action.ward)
    if action.status != "failed" or action.connector_id is None:
        raise Conflict(
            "action {id} is {status}: only a failed action with a connector is retried",
            values={"id": action.id, "status": ACTION_STATUSES.get(action.status, action.status)},
        )
    queue(action, settings, now)
    _record(
        session,
        principal,
        action,
        "retry",
        f"Retry of {action.kind} {action.target} at {action.ward}",
        now=now,
        client=client,
        detail={"status": action.status},
    )
    return action


def _record(
    session: Session,
    principal: Principal,
    action: ContainmentAction,
    step: str,
    text: str,
    *,
    now: datetime,
    client: str,
    detail: dict[str, Any],
    audit_detail: dict[str, Any] | None = None,
) -> None:
    """One step of an action, on the incident's timeline and in the audit log
    (``csirt.action.<step>``)."""
    timeline.add_audited(
        session,
        principal,
        action.incident_id,
        "action",
        text,
        at=now,
        detail={"action": action.id, **detail},
        audit_action=f"csirt.action.{step}",
        audited=("containment_action", action.id, action.ward),
        client=client,
        audit_detail=audit_detail,
    )
