"""BPR support team dispatch (主な取組②「専門家チームを各区に派遣」).

A ward asks the joint centre's BPR support team for help with a process (``request``);
the centre assigns experts (``assign``), records each visit — who went, when, for how
long, what was done (``record_visit``) — and closes the request with its outcome,
recorded against the ward's BPR register: the case it led to, whose staff hours a year
before and after are the register's own (``close``). A ward sees its own requests; the
centre sees and runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.vocabulary import Term, vocabulary
from rengo.core.wards import JOINT
from rengo.finops.bpr import WardSystemIn
from rengo.finops.models import BprCase, BprDispatch, BprVisit

STATUSES = vocabulary(
    Term("requested", "依頼受付", "Requested"),
    Term("assigned", "専門家割当済み", "Expert assigned"),
    Term("closed", "完了", "Closed"),
)
"""``BprDispatch.status``: requested → assigned → closed."""


class DispatchIn(WardSystemIn):
    topic: str = Field(min_length=1, max_length=200, description="The process to review")
    detail: str = Field("", max_length=4000)


class AssignIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    experts: list[str] = Field(min_length=1, max_length=10, description="Names of the experts")


class VisitIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    visited_on: date
    expert: str = Field(min_length=1, max_length=128)
    hours: float = Field(gt=0, le=24, description="Hours on site")
    notes: str = Field("", max_length=4000)


class CloseIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    outcome: str = Field(min_length=1, max_length=4000)
    bpr_case_id: int | None = Field(None, description="The ward's BPR case it led to")


@dataclass(frozen=True, slots=True)
class DispatchView:
    dispatch: BprDispatch
    visits: list[BprVisit]
    case: BprCase | None
    """The BPR case of the outcome: its hours before and after are the register's."""


def request(session: Session, principal: Principal, data: DispatchIn, now: datetime) -> BprDispatch:
    ward = data.ward or principal.tenant
    require(principal, "finops.bpr.write", ward)
    if ward == JOINT:
        raise InvalidInput(
            "a request comes from a ward", [Problem("give a ward code", "field ward")]
        )
    dispatch = BprDispatch(
        ward=ward,
        business_system=data.business_system,
        topic=data.topic,
        detail=data.detail,
        status="requested",
        requested_by=principal.label,
        requested_at=now,
        experts=[],
        assigned_by="",
        outcome="",
    )
    session.add(dispatch)
    session.flush()
    _audit(session, principal, "finops.bpr.dispatch.request", dispatch)
    return dispatch


def get(session: Session, principal: Principal, dispatch_id: int) -> BprDispatch:
    dispatch = session.get(BprDispatch, dispatch_id)
    if dispatch is None:
        raise NotFound("BPR dispatch {id} not found", values={"id": dispatch_id})
    require(principal, "finops.bpr.read", dispatch.ward, hide=True)
    return dispatch


def view(session: Session, principal: Principal, dispatch_id: int) -> DispatchView:
    dispatch = get(session, principal, dispatch_id)
    visits = list(
        session.scalars(
            select(BprVisit)
            .where(BprVisit.dispatch_id == dispatch.id)
            .order_by(BprVisit.visited_on, BprVisit.id)
        )
    )
    case = session.get(BprCase, dispatch.bpr_case_id) if dispatch.bpr_case_id else None
    return DispatchView(dispatch, visits, case)


def listing(
    session: Session, principal: Principal, ward: TenantCode | None = None
) -> list[BprDispatch]:
    tenants = narrow_to_visible(principal, "finops.bpr.read", ward)
    stmt = select(BprDispatch).order_by(BprDispatch.requested_at.desc(), BprDispatch.id.desc())
    if tenants is not None:
        stmt = stmt.where(BprDispatch.ward.in_(tenants))
    return list(session.scalars(stmt))


def _open(session: Session, principal: Principal, dispatch_id: int) -> BprDispatch:
    dispatch = get(session, principal, dispatch_id)
    require(principal, "finops.bpr.dispatch")
    if dispatch.status == "closed":
        raise Conflict("BPR dispatch {id} is closed", values={"id": dispatch.id})
    return dispatch


def assign(
    session: Session, principal: Principal, dispatch_id: int, data: AssignIn, now: datetime
) -> BprDispatch:
    dispatch = _open(session, principal, dispatch_id)
    dispatch.experts = [e for e in data.experts if e]
    dispatch.status, dispatch.assigned_by, dispatch.assigned_at = "assigned", principal.label, now
    _audit(
        session, principal, "finops.bpr.dispatch.assign", dispatch, {"experts": dispatch.experts}
    )
    return dispatch


def record_visit(
    session: Session, principal: Principal, dispatch_id: int, data: VisitIn
) -> BprVisit:
    dispatch = _open(session, principal, dispatch_id)
    if dispatch.status != "assigned":
        raise Conflict("assign experts to BPR dispatch {id} first", values={"id": dispatch.id})
    if data.expert not in dispatch.experts:
        raise InvalidInput(
            "the expert is not assigned",
            [Problem(f"one of {', '.join(dispatch.experts)}", "field expert")],
        )
    visit = BprVisit(dispatch_id=dispatch.id, recorded_by=principal.label, **data.model_dump())
    session.add(visit)
    session.flush()
    _audit(session, principal, "finops.bpr.dispatch.visit", dispatch, {"visit": visit.id})
    return visit


def close(
    session: Session, principal: Principal, dispatch_id: int, data: CloseIn, now: datetime
) -> BprDispatch:
    dispatch = _open(session, principal, dispatch_id)
    if data.bpr_case_id is not None:
        case = session.get(BprCase, data.bpr_case_id)
        if case is None or case.ward != dispatch.ward:
            raise InvalidInput(
                "the BPR case must be one of the ward's",
                [Problem(f"a case of ward {dispatch.ward}", "field bpr_case_id")],
            )
    dispatch.outcome, dispatch.bpr_case_id = data.outcome, data.bpr_case_id
    dispatch.status, dispatch.closed_at = "closed", now
    _audit(session, principal, "finops.bpr.dispatch.close", dispatch, {"case": data.bpr_case_id})
    return dispatch


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    dispatch: BprDispatch,
    detail: dict[str, object] | None = None,
) -> None:
    audit.record(
        session,
        principal,
        action,
        object_type="finops_bpr_dispatch",
        object_id=dispatch.id,
        object_tenant=dispatch.ward,
        detail=detail or {},
    )
