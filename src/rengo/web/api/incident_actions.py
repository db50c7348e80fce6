"""Containment actions of an incident over JSON: request, approve or reject, retry, confirm
by hand. Every route checks that the action is the path's incident's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from pydantic import BaseModel

from rengo.csirt import actions, incidents
from rengo.csirt.models import ContainmentAction
from rengo.csirt.schemas import ActionIn, ActionOut, DecisionIn
from rengo.web.api.oncall import wake_worker
from rengo.web.deps import ActingDep, IdPath, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


# -- containment actions --------------------------------------------------------------


@router.get("/{incident_id}/actions", response_model=list[ActionOut], summary="Containment actions")
def list_actions(incident_id: IdPath, principal: UserDep, session: SessionDep) -> list[ActionOut]:
    incident = incidents.get_incident(session, principal, incident_id)
    return [ActionOut.model_validate(a) for a in actions.actions_of(session, incident.id)]


@router.post(
    "/{incident_id}/actions",
    response_model=ActionOut,
    status_code=201,
    summary="Request a containment action; it is queued at once (disruptive ones wait "
    "for a second person's approval) and the worker carries it out",
)
def request_action(
    incident_id: IdPath,
    body: ActionIn,
    request: Request,
    by: ActingDep,
    background: BackgroundTasks,
) -> ActionOut:
    action = actions.request_action(
        by,
        incident_id,
        kind=body.kind,
        target=body.target,
        reason=body.reason,
        ward=body.ward,
        connector_id=body.connector_id,
    )
    background.add_task(wake_worker, request.app)
    return ActionOut.model_validate(action)


def incident_action(
    incident_id: IdPath, action_id: IdPath, principal: UserDep, session: SessionDep
) -> ContainmentAction:
    """The action of the path, checked to be the path's incident's and visible."""
    return actions.action_of_incident(session, principal, incident_id, action_id)


IncidentActionDep = Annotated[ContainmentAction, Depends(incident_action)]


@router.post(
    "/{incident_id}/actions/{action_id}/approve",
    response_model=ActionOut,
    summary="Approve someone else's disruptive action; it is queued at once",
)
def approve(
    action: IncidentActionDep,
    body: DecisionIn,
    request: Request,
    by: ActingDep,
    background: BackgroundTasks,
) -> ActionOut:
    decided = actions.decide(by, action.id, approve=True, note=body.note)
    background.add_task(wake_worker, request.app)
    return ActionOut.model_validate(decided)


@router.post(
    "/{incident_id}/actions/{action_id}/reject",
    response_model=ActionOut,
    summary="Reject someone else's disruptive action",
)
def reject(action: IncidentActionDep, body: DecisionIn, by: ActingDep) -> ActionOut:
    decided = actions.decide(by, action.id, approve=False, note=body.note)
    return ActionOut.model_validate(decided)


@router.post(
    "/{incident_id}/actions/{action_id}/retry",
    response_model=ActionOut,
    summary="Queue a failed action again (a fresh set of attempts)",
)
def retry(
    action: IncidentActionDep, request: Request, by: ActingDep, background: BackgroundTasks
) -> ActionOut:
    retried = actions.retry(by, action.id)
    background.add_task(wake_worker, request.app)
    return ActionOut.model_validate(retried)


class ConfirmIn(BaseModel):
    succeeded: bool
    note: str = ""


@router.post(
    "/{incident_id}/actions/{action_id}/confirm",
    response_model=ActionOut,
    summary="For an action without a connector: say it was carried out (or not)",
)
def confirm(action: IncidentActionDep, body: ConfirmIn, by: ActingDep) -> ActionOut:
    confirmed = actions.confirm_by_hand(by, action.id, succeeded=body.succeeded, note=body.note)
    return ActionOut.model_validate(confirmed)
