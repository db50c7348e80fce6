"""The intelligence hub over JSON: a ward's submissions (submit, preview, redact, approve,
withdraw). Advisories: ``intel_advisories.py``; indicators, sightings, hunts and feeds:
``intel_feeds.py``.

The STIX objects themselves are served by the TAXII 2.1 server at ``/taxii2/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from rengo.core.errors import InvalidInput, Problem
from rengo.core.types import TenantCode
from rengo.intel import submissions
from rengo.intel.models import Submission, Urgency
from rengo.intel.schemas import (
    AccessReport,
    BundleSubmission,
    IndicatorList,
    PhishingReport,
    VulnerabilityReport,
)
from rengo.intel.submissions import SubmissionState
from rengo.intel.tlp import parse_level
from rengo.web.api.paging import ListPage
from rengo.web.deps import ActingDep, IdPath, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])


Report = Annotated[
    PhishingReport | AccessReport | VulnerabilityReport | IndicatorList | BundleSubmission,
    Field(discriminator="kind"),
]


class SubmissionOut(BaseModel):
    id: int
    ward: TenantCode = Field(description="The submitting ward (never part of what is shared).")
    kind: str
    title: str
    tlp: str
    state: str = Field(description="awaiting_approval | published | withdrawn | kept_private")
    channel: str
    version: int = Field(description="Version of the preview; approve names the one you saw.")
    created_at: datetime
    published_at: datetime | None
    redactions: int = Field(description="How many things the anonymiser removed or generalised.")
    urgency: str = Field(description="Set at approval: urgent | routine.")

    @classmethod
    def of(cls, s: Submission) -> SubmissionOut:
        return cls(
            id=s.id,
            ward=s.tenant,
            kind=s.kind,
            title=s.title,
            tlp=s.tlp,
            state=s.state,
            channel=s.channel,
            version=s.version,
            created_at=s.created_at,
            published_at=s.published_at,
            urgency=s.urgency,
            redactions=len(s.redactions or []),
        )


class SubmissionPage(ListPage[SubmissionOut]):
    pass


class Preview(BaseModel):
    submission: SubmissionOut
    original: dict[str, Any] = Field(description="What the ward saw (never leaves it).")
    shared: dict[str, Any] = Field(description="Exactly what will be published on approval.")
    redactions: list[dict[str, str]] = Field(description="Every change: object, property, reason.")


class RedactIn(BaseModel):
    terms: list[str] = Field(min_length=1, description="More words to remove (names, projects…).")


class ApproveIn(BaseModel):
    version: int = Field(description="The preview version you looked at.")
    urgency: Urgency = Field(
        "routine",
        description="urgent: the other wards must act now (「緊急対応が必要なレベル」, counted "
        "by the KPI of critical threat information shared); routine otherwise.",
    )


# -- submissions ------------------------------------------------------------------------


@router.post(
    "/submissions",
    response_model=SubmissionOut,
    status_code=201,
    summary="Submit what your ward saw (anonymised for approval, never shared before)",
)
def submit(body: Report, by: ActingDep) -> SubmissionOut:
    submission = submissions.create(by, body, channel="api")
    return SubmissionOut.of(submission)


class FromIncidentIn(BaseModel):
    incident_id: int = Field(ge=1, le=2**31 - 1, description="The CSIRT incident of your ward.")
    title: str = Field(min_length=3, max_length=300)
    tlp: str = Field("amber", description="TLP 2.0 level of what is shared.")


@router.post(
    "/submissions/from-incident",
    response_model=SubmissionOut,
    status_code=201,
    summary="Submit a CSIRT incident's indicators (internal ones are left out)",
)
def submit_from_incident(body: FromIncidentIn, by: ActingDep) -> SubmissionOut:
    try:
        level = parse_level(body.tlp).value
    except ValueError as exc:
        raise InvalidInput("unknown TLP level", [Problem(str(exc), "body tlp")]) from None
    submission = submissions.from_incident(by, body.incident_id, title=body.title, tlp=level)
    return SubmissionOut.of(submission)


@router.get("/submissions", response_model=SubmissionPage, summary="Your ward's submissions")
def list_submissions(
    principal: UserDep,
    session: SessionDep,
    state: SubmissionState | None = None,
    ward: TenantCode | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SubmissionPage:
    rows, total = submissions.search(
        session, principal, ward=ward, state=state, limit=limit, offset=offset
    )
    return SubmissionPage(items=[SubmissionOut.of(s) for s in rows], total=total)


@router.get("/submissions/{submission_id}", response_model=SubmissionOut, summary="One submission")
def read_submission(
    submission_id: IdPath, principal: UserDep, session: SessionDep
) -> SubmissionOut:
    return SubmissionOut.of(submissions.get(session, principal, submission_id))


def _preview(s: Submission) -> Preview:
    return Preview(
        submission=SubmissionOut.of(s),
        original=s.original,
        shared=s.shared,
        redactions=s.redactions,
    )


@router.get(
    "/submissions/{submission_id}/preview",
    response_model=Preview,
    summary="Original and shareable version side by side (reading the original is audited)",
)
def preview(submission_id: IdPath, by: ActingDep) -> Preview:
    return _preview(submissions.read_original(by, submission_id))


@router.post(
    "/submissions/{submission_id}/redact",
    response_model=Preview,
    summary="Remove more terms; the preview gets a new version",
)
def redact(submission_id: IdPath, body: RedactIn, by: ActingDep) -> Preview:
    return _preview(submissions.reanonymise(by, submission_id, body.terms))


@router.post(
    "/submissions/{submission_id}/approve",
    response_model=SubmissionOut,
    summary="Approve the previewed version: it is published to every ward",
)
def approve(submission_id: IdPath, body: ApproveIn, by: ActingDep) -> SubmissionOut:
    s = submissions.approve(by, submission_id, body.version, urgency=body.urgency)
    return SubmissionOut.of(s)


@router.post(
    "/submissions/{submission_id}/withdraw",
    response_model=SubmissionOut,
    summary="Withdraw before approval",
)
def withdraw(submission_id: IdPath, by: ActingDep) -> SubmissionOut:
    return SubmissionOut.of(submissions.withdraw(by, submission_id))
