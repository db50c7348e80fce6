"""The intelligence hub's advisories over JSON: the joint centre publishes countermeasures to
all or chosen wards; each ward acknowledges them and records when it has applied them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from rengo.core.types import TenantCode
from rengo.intel import advisories
from rengo.intel.models import Advisory
from rengo.web.deps import ActingDep, IdPath, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])


class RecipientOut(BaseModel):
    ward: TenantCode
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    applied_at: datetime | None
    applied_by: str | None
    note: str


class AdvisoryOut(BaseModel):
    id: int
    title: str
    summary: str
    countermeasures: str
    severity: str
    urgency: str = Field(description="Set at publication: urgent | routine.")
    tlp: str
    all_wards: bool
    report_id: str = Field(description="The STIX report in the advisories TAXII collection.")
    course_of_action_id: str
    indicator_refs: list[str]
    due_at: datetime | None
    published_at: datetime
    recipients: int = 0
    acknowledged: int = 0
    applied: int = 0

    @classmethod
    def of(cls, a: Advisory, n: int = 0, ack: int = 0, applied: int = 0) -> AdvisoryOut:
        out = cls.model_validate(a, from_attributes=True)
        out.recipients, out.acknowledged, out.applied = n, ack, applied
        return out


class AdvisoryDetail(AdvisoryOut):
    wards: list[RecipientOut]
    not_applied: list[str] = Field(description="Wards that have not applied the countermeasure.")


class RespondIn(BaseModel):
    acknowledged: bool = False
    applied: bool = Field(False, description="The countermeasure is applied (recorded now).")
    note: str = Field("", max_length=5000)
    ward: TenantCode | None = Field(None, description="Defaults to your own ward.")


# -- advisories -------------------------------------------------------------------------


@router.post(
    "/advisories",
    response_model=AdvisoryOut,
    status_code=201,
    summary="Publish an advisory with countermeasures to all or chosen wards (joint centre)",
)
def publish_advisory(body: advisories.AdvisoryCreate, by: ActingDep) -> AdvisoryOut:
    advisory = advisories.publish(by, body)
    n = len(body.wards) if body.wards else 23
    return AdvisoryOut.of(advisory, n)


@router.get(
    "/advisories",
    response_model=list[AdvisoryOut],
    summary="Advisories (yours, or all for the joint centre)",
)
def list_advisories(
    principal: UserDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AdvisoryOut]:
    rows, _ = advisories.search(session, principal, limit=limit, offset=offset)
    return [AdvisoryOut.of(a, n, ack, applied) for a, n, ack, applied in rows]


@router.get(
    "/advisories/{advisory_id}",
    response_model=AdvisoryDetail,
    summary="One advisory with each recipient ward's acknowledgement and application",
)
def read_advisory(advisory_id: IdPath, principal: UserDep, session: SessionDep) -> AdvisoryDetail:
    advisory = advisories.get(session, principal, advisory_id)
    rows = advisories.recipients(session, principal, advisory_id)
    base = AdvisoryOut.of(
        advisory,
        len(rows),
        sum(1 for r in rows if r.acknowledged_at),
        sum(1 for r in rows if r.applied_at),
    )
    return AdvisoryDetail(
        **base.model_dump(),
        wards=[RecipientOut.model_validate(r, from_attributes=True) for r in rows],
        not_applied=[r.ward for r in rows if r.applied_at is None],
    )


@router.post(
    "/advisories/{advisory_id}/respond",
    response_model=RecipientOut,
    summary="Acknowledge an advisory and/or record that its countermeasure is applied",
)
def respond(advisory_id: IdPath, body: RespondIn, by: ActingDep) -> RecipientOut:
    recipient = advisories.respond(
        by,
        advisory_id,
        ward=body.ward,
        acknowledged=body.acknowledged,
        applied=body.applied,
        note=body.note,
    )
    return RecipientOut.model_validate(recipient, from_attributes=True)
