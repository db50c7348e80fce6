"""Containment actions: request → (second-person approval if disruptive) → run through
the ward's connector → succeeded or failed, every step on the incident's timeline.

The first successful containment sets the incident's ``contained_at`` (MTTC's end).
Running happens outside the request's transaction (``run_action`` opens its own), so
that a slow ward endpoint never holds the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.core.permissions import SYSTEM, Principal, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.wards import ward_codes
from rengo.csirt import timeline
from rengo.csirt.connectors import CONNECTOR_KINDS, ActionCommand, ActionResult, connector_for
from rengo.csirt.incidents import get_incident, wards_of
from rengo.csirt.models import Connector, ContainmentAction, Incident
from rengo.csirt.vocabulary import ACTION_KINDS


def identity_key(principal: Principal) -> str:
    """Who a person is, whatever credential they use (a user's tokens count as the user)."""
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    return f"name:{principal.label}"


# -- connectors ---------------------------------------------------------------------------


def create_connector(session: Session, principal: Principal, *, tenant: str, name: str, kind: str,
                     url: str = "", secret_name: str = "", capabilities: list[str] | None = None,
                     ) -> Connector:  # fmt: skip
    problems = []
    if tenant not in ward_codes():
        problems.append(Problem(f"{tenant!r} is not a ward", "field tenant"))
    if kind not in CONNECTOR_KINDS:
        problems.append(Problem(f"one of {', '.join(CONNECTOR_KINDS)}", "field kind"))
    if kind == "webhook" and not url.startswith(("http://", "https://")):
        problems.append(Problem("a webhook needs an http(s) URL", "field url"))
    if kind == "webhook" and not secret_name:
        problems.append(Problem("a webhook needs the name of its signing key", "field secret_name"))
    caps = capabilities if capabilities is not None else list(ACTION_KINDS)
    problems += [Problem(f"unknown action kind {c!r}", "field capabilities")
                 for c in caps if c not in ACTION_KINDS]  # fmt: skip
    if problems:
        raise InvalidInput("invalid connector", problems)
    require(principal, "csirt.connectors.manage", tenant)
    connector = Connector(tenant=tenant, name=name, kind=kind, url=url, secret_name=secret_name,
                          capabilities=caps, enabled=True)  # fmt: skip
    session.add(connector)
    session.flush()
    audit.record(session, principal, "csirt.connector.create", object_type="connector",
                 object_id=connector.id, object_tenant=tenant,
                 detail={"kind": kind, "url": url, "capabilities": caps})  # fmt: skip
    return connector


def connectors(session: Session, principal: Principal) -> list[Connector]:
    visible = visible_tenants(principal, "csirt.incidents.read")
    stmt = select(Connector).order_by(Connector.tenant, Connector.id)
    if visible is not None:
        stmt = stmt.where(Connector.tenant.in_(sorted(visible)))
    return list(session.scalars(stmt))


def _pick_connector(session: Session, ward: str, kind: str, wanted: int | None) -> Connector | None:
    if wanted is not None:
        row = session.get(Connector, wanted)
        if row is None or row.tenant != ward:
            raise InvalidInput(
                "unknown connector",
                [Problem(f"no connector {wanted} at {ward}", "field connector_id")],
            )
        if kind not in row.capabilities or not row.enabled:
            raise InvalidInput(
                "connector cannot do this",
                [Problem(f"{row.name} cannot {kind}", "field connector_id")],
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


def request_action(session: Session, principal: Principal, incident_id: int, *, kind: str,
                   target: str, reason: str, ward: str | None, connector_id: int | None,
                   settings: Settings, now: datetime, client: str = "") -> ContainmentAction:  # fmt: skip
    incident = get_incident(session, principal, incident_id, "csirt.actions.request")
    if incident.status == "closed":
        raise Conflict(f"{incident.ref} is closed")
    if kind not in ACTION_KINDS:
        raise InvalidInput("unknown action", [Problem(f"{kind!r}", "field kind")])
    involved = wards_of(session, incident.id)
    ward = ward or incident.lead_ward
    if ward not in involved:
        raise InvalidInput(
            "not an involved ward",
            [Problem(f"{ward} is not involved in {incident.ref}", "field ward")],
        )
    require(principal, "csirt.actions.request", ward)
    connector = _pick_connector(session, ward, kind, connector_id)
    disruptive = kind in settings.csirt.disruptive_actions
    action = ContainmentAction(
        incident_id=incident.id, ward=ward, connector_id=connector.id if connector else None,
        kind=kind, target=target.strip(), reason=reason, disruptive=disruptive,
        status="pending_approval" if disruptive else "approved", requested_by=principal.label,
        requester_key=identity_key(principal), requested_at=now,
    )  # fmt: skip
    session.add(action)
    session.flush()
    via = connector.name if connector else "by hand (no connector)"
    need = "; needs approval by a second person" if disruptive else ""
    timeline.add(session, incident.id, "action",
                 f"Requested {kind} {action.target} at {ward} via {via}{need}",
                 actor=principal.label, at=now,
                 detail={"action": action.id, "kind": kind, "target": action.target, "reason": reason,
                         "status": action.status})  # fmt: skip
    audit.record(session, principal, "csirt.action.request", object_type="containment_action",
                 object_id=action.id, object_tenant=ward, client=client,
                 detail={"incident": incident.id, "kind": kind, "target": action.target})  # fmt: skip
    return action


def get_action(session: Session, principal: Principal, action_id: int) -> ContainmentAction:
    action = session.get(ContainmentAction, action_id)
    if action is None:
        raise NotFound(f"action {action_id} not found")
    get_incident(session, principal, action.incident_id)
    return action


def actions_of(session: Session, incident_id: int) -> list[ContainmentAction]:
    return list(
        session.scalars(
            select(ContainmentAction)
            .where(ContainmentAction.incident_id == incident_id)
            .order_by(ContainmentAction.id)
        )
    )


def decide(session: Session, principal: Principal, action_id: int, *, approve: bool, note: str,
           now: datetime, client: str = "") -> ContainmentAction:  # fmt: skip
    action = get_action(session, principal, action_id)
    require(principal, "csirt.actions.approve", action.ward)
    if action.status != "pending_approval":
        raise Conflict(f"action {action.id} is {action.status}, not waiting for approval")
    if identity_key(principal) == action.requester_key:
        raise Forbidden("a disruptive action needs a second person: you asked for it yourself")
    action.status = "approved" if approve else "rejected"
    action.decided_by, action.decided_at, action.decision_note = principal.label, now, note
    verb = "Approved" if approve else "Rejected"
    timeline.add(session, action.incident_id, "action",
                 f"{verb} {action.kind} {action.target} at {action.ward}" + (f": {note}" if note else ""),
                 actor=principal.label, at=now, detail={"action": action.id, "status": action.status})  # fmt: skip
    audit.record(session, principal, f"csirt.action.{'approve' if approve else 'reject'}",
                 object_type="containment_action", object_id=action.id, object_tenant=action.ward,
                 client=client, detail={"note": note})  # fmt: skip
    return action


# -- running ------------------------------------------------------------------------------


def run_action(db: Database, settings: Settings, clock: Clock, action_id: int) -> ContainmentAction:
    """Carry out an approved action through its connector; record request and response."""
    with db.session() as session:
        claimed = session.execute(
            update(ContainmentAction)
            .where(
                ContainmentAction.id == action_id,
                ContainmentAction.status.in_(("approved", "failed")),
            )
            .where(ContainmentAction.connector_id.is_not(None))
            .values(status="running")
        ).rowcount  # type: ignore[attr-defined]
        action = session.get(ContainmentAction, action_id)
        if action is None:
            raise NotFound(f"action {action_id} not found")
        if not claimed:
            return action
        connector_row = session.get(Connector, action.connector_id)
        assert connector_row is not None
        incident = session.get(Incident, action.incident_id)
        assert incident is not None
        command = ActionCommand(action.id, incident.ref, action.ward, action.kind, action.target,
                                action.reason, action.requested_by, action.decided_by)  # fmt: skip
        connector = connector_for(connector_row, settings.csirt, db, clock)
        connector_name = connector_row.name
    sent_at = clock.now()
    result = connector.execute(command)
    with db.session() as session:
        action = session.get(ContainmentAction, action_id)
        assert action is not None
        _record_result(session, action, result, connector_name, sent_at, clock.now())
        session.flush()
        session.expunge(action)
    return action


def confirm_by_hand(session: Session, principal: Principal, action_id: int, *, succeeded: bool,
                    note: str, now: datetime, client: str = "") -> ContainmentAction:  # fmt: skip
    """For an action with no connector: the ward says it was done (or could not be)."""
    action = get_action(session, principal, action_id)
    require(principal, "csirt.actions.request", action.ward)
    if action.connector_id is not None or action.status != "approved":
        raise Conflict(f"action {action.id} is {action.status} and runs through its connector")
    result = ActionResult(succeeded, 1, f"manual:{principal.label}"[:128], "" if succeeded else note or "failed",
                          {"confirmed_by": principal.label, "note": note})  # fmt: skip
    _record_result(session, action, result, "by hand", now, now)
    audit.record(session, principal, "csirt.action.confirm", object_type="containment_action",
                 object_id=action.id, object_tenant=action.ward, client=client,
                 detail={"succeeded": succeeded, "note": note})  # fmt: skip
    return action


def _record_result(session: Session, action: ContainmentAction, result: ActionResult,
                   via: str, sent_at: datetime, now: datetime) -> None:  # fmt: skip
    action.attempts += result.attempts
    action.response = result.detail
    action.external_ref = result.reference
    action.error = result.error
    action.status = "succeeded" if result.ok else "failed"
    timeline.add(session, action.incident_id, "action",
                 f"Sent {action.kind} {action.target} to {action.ward} via {via}",
                 actor="rengo", at=sent_at, detail={"action": action.id, "request": True})  # fmt: skip
    if result.ok:
        action.completed_at = now
        timeline.add(session, action.incident_id, "action",
                     f"Done: {action.kind} {action.target} at {action.ward} (ref {result.reference})",
                     actor=via, at=now, detail={"action": action.id, "response": result.detail})  # fmt: skip
        incident = session.get(Incident, action.incident_id)
        if incident is not None and (incident.contained_at is None or now < incident.contained_at):
            incident.contained_at = now
            minutes = (now - incident.detected_at).total_seconds() / 60
            timeline.add(session, incident.id, "system",
                         f"First containment {minutes:.0f} min after detection",
                         actor="rengo", at=now, detail={"action": action.id, "mttc_minutes": round(minutes, 2)})  # fmt: skip
    else:
        timeline.add(session, action.incident_id, "action",
                     f"Failed: {action.kind} {action.target} at {action.ward}: {result.error}",
                     actor=via, at=now, detail={"action": action.id, "response": result.detail})  # fmt: skip
    audit.record(session, SYSTEM, "csirt.action.result", object_type="containment_action",
                 object_id=action.id, object_tenant=action.ward,
                 detail={"ok": result.ok, "reference": result.reference, "error": result.error[:500]})  # fmt: skip
