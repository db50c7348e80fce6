"""The BPR register: business processes reviewed per ward, and the case library wards share.

A case records staff hours a year before and after, the method (RPA, 書かない窓口,
AI-OCR …) and when it took effect. A ward may share a case; other wards see shared
cases (without who entered them) and may reuse one as a case of their own. The KSI
counts core business systems renewed after a BPR of that system in that ward.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core import audit
from rengo.core.errors import NotFound
from rengo.core.permissions import Principal, allows, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.vocabulary import Term
from rengo.core.wards import JOINT
from rengo.finops.models import BprCase

METHODS = {
    t.key: t
    for t in (
        Term("rpa", "RPA", "RPA"),
        Term("kakanai_madoguchi", "書かない窓口", "No-form counter (書かない窓口)"),
        Term("ai_ocr", "AI-OCR", "AI-OCR"),
        Term("online", "オンライン申請", "Online application"),
        Term("process_redesign", "業務フロー見直し", "Process redesign"),
        Term("outsourcing", "外部委託", "Outsourcing"),
        Term("generative_ai", "生成AI", "Generative AI"),
    )
}


class WardSystemIn(BaseModel):
    """What a BPR case and a dispatch request both start with: the ward and, if any, the
    standard system it concerns."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    ward: TenantCode | None = Field(None, description="Ward code; defaults to the caller's ward")
    business_system: str = Field("", description="One of the 20 standard systems, or empty")

    @field_validator("business_system")
    @classmethod
    def _system(cls, v: str) -> str:
        if v and v not in BUSINESS_SYSTEMS:
            raise ValueError(f"unknown business system {v!r}")
        return v


class BprIn(WardSystemIn):
    process_name: str = Field(min_length=1, max_length=200)
    method: str = Field(description=" | ".join(METHODS))
    hours_before: float = Field(ge=0, description="Staff hours a year before")
    hours_after: float = Field(ge=0, description="Staff hours a year after")
    implemented_on: date
    description: str = ""
    shared: bool = Field(False, description="Share the case with the other wards")

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if v not in METHODS:
            raise ValueError(f"unknown method {v!r}; one of {', '.join(METHODS)}")
        return v


def create(
    session: Session,
    principal: Principal,
    data: BprIn,
    *,
    origin: str = "manual",
    reused_from: int | None = None,
) -> BprCase:
    ward = data.ward or principal.tenant
    require(principal, "finops.bpr.write", ward)
    if ward == JOINT:
        from rengo.core.errors import InvalidInput, Problem

        raise InvalidInput(
            "a BPR case belongs to a ward", [Problem("give a ward code", "field ward")]
        )
    case = BprCase(
        ward=ward,
        **data.model_dump(exclude={"ward"}),
        origin=origin,
        reused_from=reused_from,
        created_by=principal.label,
    )
    session.add(case)
    session.flush()
    audit.record(
        session,
        principal,
        "finops.bpr.create",
        object_type="finops_bpr",
        object_id=case.id,
        object_tenant=ward,
    )
    return case


def get(session: Session, principal: Principal, case_id: int) -> BprCase:
    """A case of one's own ward, or a case another ward shared (read-only to others)."""
    case = session.get(BprCase, case_id)
    if case is None:
        raise NotFound(f"BPR case {case_id} not found")
    if case.shared and allows(principal, "finops.bpr.library"):
        return case
    require(principal, "finops.bpr.read", case.ward, hide=True)
    return case


def update(
    session: Session, principal: Principal, case_id: int, data: BprIn, client: str = ""
) -> BprCase:
    """Change a case of one's own ward (its ward cannot change)."""
    case = session.get(BprCase, case_id)
    if case is None:
        raise NotFound(f"BPR case {case_id} not found")
    require(principal, "finops.bpr.read", case.ward, hide=True)
    require(principal, "finops.bpr.write", case.ward)
    changes = {}
    for name, value in data.model_dump(exclude={"ward"}).items():
        if getattr(case, name) != value:
            changes[name] = [str(getattr(case, name)), str(value)]
            setattr(case, name, value)
    session.flush()
    audit.record(
        session,
        principal,
        "finops.bpr.update",
        object_type="finops_bpr",
        object_id=case.id,
        object_tenant=case.ward,
        detail=changes,
        client=client,
    )
    return case


def register(
    session: Session, principal: Principal, ward: TenantCode | None = None
) -> list[BprCase]:
    tenants = narrow_to_visible(principal, "finops.bpr.read", ward)
    stmt = select(BprCase).order_by(BprCase.implemented_on.desc(), BprCase.id.desc())
    if tenants is not None:
        stmt = stmt.where(BprCase.ward.in_(tenants))
    return list(session.scalars(stmt))


def library(session: Session, principal: Principal) -> list[BprCase]:
    """Shared cases of every ward (the reusable case library)."""
    require(principal, "finops.bpr.library")
    return list(
        session.scalars(
            select(BprCase)
            .where(BprCase.shared.is_(True))
            .order_by(BprCase.hours_before - BprCase.hours_after)
        )
    )


def reuse(session: Session, principal: Principal, case_id: int, implemented_on: date) -> BprCase:
    source = session.get(BprCase, case_id)
    if source is None or not (source.shared or source.ward == principal.tenant):
        raise NotFound(f"BPR case {case_id} not found")
    data = BprIn(
        business_system=source.business_system,
        process_name=source.process_name,
        method=source.method,
        hours_before=source.hours_before,
        hours_after=source.hours_before,
        implemented_on=implemented_on,
        description=f"Reuses case #{source.id}: {source.description}",
    )
    return create(session, principal, data, reused_from=source.id)
