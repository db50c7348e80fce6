"""BPR support team dispatch over JSON (``rengo.finops.bpr_dispatch``)."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from rengo.finops import bpr_dispatch
from rengo.finops.bpr_dispatch import AssignIn, CloseIn, DispatchIn, VisitIn
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/finops/bpr/dispatches", tags=["finops"])


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    visited_on: date
    expert: str
    hours: float
    notes: str


class CaseHours(BaseModel):
    id: int
    process_name: str
    hours_before: float = Field(description="Staff hours a year before (the BPR register's)")
    hours_after: float = Field(description="Staff hours a year after (the BPR register's)")


class DispatchOut(BaseModel):
    id: int
    ward: str
    business_system: str
    topic: str
    detail: str
    status: str = Field(description="requested | assigned | closed")
    requested_by: str
    requested_at: datetime
    experts: list[str]
    assigned_by: str
    assigned_at: datetime | None
    visits: list[VisitOut]
    outcome: str
    case: CaseHours | None
    closed_at: datetime | None


def _out(view: bpr_dispatch.DispatchView) -> DispatchOut:
    d = view.dispatch
    case = view.case
    return DispatchOut(
        id=d.id,
        ward=d.ward,
        business_system=d.business_system,
        topic=d.topic,
        detail=d.detail,
        status=d.status,
        requested_by=d.requested_by,
        requested_at=d.requested_at,
        experts=list(d.experts),
        assigned_by=d.assigned_by,
        assigned_at=d.assigned_at,
        visits=[VisitOut.model_validate(v) for v in view.visits],
        outcome=d.outcome,
        case=CaseHours(
            id=case.id,
            process_name=case.process_name,
            hours_before=case.hours_before,
            hours_after=case.hours_after,
        )
        if case
        else None,
        closed_at=d.closed_at,
    )


@router.get("", response_model=list[DispatchOut], summary="Requests for the BPR support team")
def list_dispatches(principal: UserDep, session: SessionDep) -> list[DispatchOut]:
    return [
        _out(bpr_dispatch.view(session, principal, d.id))
        for d in bpr_dispatch.listing(session, principal)
    ]


@router.post("", response_model=DispatchOut, status_code=201, summary="A ward asks for experts")
def create(
    body: DispatchIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> DispatchOut:
    d = bpr_dispatch.request(session, principal, body, runtime.clock.now())
    return _out(bpr_dispatch.view(session, principal, d.id))


@router.get("/{dispatch_id}", response_model=DispatchOut, summary="One request with its visits")
def read(dispatch_id: IdPath, principal: UserDep, session: SessionDep) -> DispatchOut:
    return _out(bpr_dispatch.view(session, principal, dispatch_id))


@router.post("/{dispatch_id}/assign", response_model=DispatchOut, summary="Assign experts")
def assign(
    dispatch_id: IdPath,
    body: AssignIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DispatchOut:
    bpr_dispatch.assign(session, principal, dispatch_id, body, runtime.clock.now())
    return _out(bpr_dispatch.view(session, principal, dispatch_id))


@router.post("/{dispatch_id}/visits", response_model=DispatchOut, summary="Record a visit")
def visit(
    dispatch_id: IdPath, body: VisitIn, principal: UserDep, session: SessionDep
) -> DispatchOut:
    bpr_dispatch.record_visit(session, principal, dispatch_id, body)
    return _out(bpr_dispatch.view(session, principal, dispatch_id))


@router.post("/{dispatch_id}/close", response_model=DispatchOut, summary="Record the outcome")
def close(
    dispatch_id: IdPath,
    body: CloseIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> DispatchOut:
    bpr_dispatch.close(session, principal, dispatch_id, body, runtime.clock.now())
    return _out(bpr_dispatch.view(session, principal, dispatch_id))
