"""The intelligence hub over JSON: submissions (submit, preview, approve), advisories, feeds.

The STIX objects themselves are served by the TAXII 2.1 server at ``/taxii2/``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import require
from rengo.core.types import TenantCode
from rengo.intel import advisories, feeds, hunting, indicators, submissions
from rengo.intel.feeds import FeedKind, ImportFormat
from rengo.intel.models import Advisory, AdvisoryRecipient, Feed, Hunt, Sighting, Submission
from rengo.intel.scheduler import Scheduler
from rengo.intel.schemas import (
    AccessReport,
    BundleSubmission,
    IndicatorList,
    PhishingReport,
    VulnerabilityReport,
)
from rengo.intel.settings import IntelSettings
from rengo.intel.submissions import SubmissionState
from rengo.intel.tlp import parse_level
from rengo.web.api.paging import ListPage
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])

Report = Annotated[
    PhishingReport | AccessReport | VulnerabilityReport | IndicatorList | BundleSubmission,
    Field(discriminator="kind"),
]


# -- response models --------------------------------------------------------------------


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


class RecipientOut(BaseModel):
    ward: TenantCode
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    applied_at: datetime | None
    applied_by: str | None
    note: str

    @classmethod
    def of(cls, r: AdvisoryRecipient) -> RecipientOut:
        return cls(
            ward=r.ward,
            acknowledged_at=r.acknowledged_at,
            acknowledged_by=r.acknowledged_by,
            applied_at=r.applied_at,
            applied_by=r.applied_by,
            note=r.note,
        )


class AdvisoryOut(BaseModel):
    id: int
    title: str
    summary: str
    countermeasures: str
    severity: str
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
        return cls(
            id=a.id,
            title=a.title,
            summary=a.summary,
            countermeasures=a.countermeasures,
            severity=a.severity,
            tlp=a.tlp,
            all_wards=a.all_wards,
            report_id=a.report_id,
            course_of_action_id=a.course_of_action_id,
            indicator_refs=a.indicator_refs,
            due_at=a.due_at,
            published_at=a.published_at,
            recipients=n,
            acknowledged=ack,
            applied=applied,
        )


class AdvisoryDetail(AdvisoryOut):
    wards: list[RecipientOut]
    not_applied: list[str] = Field(description="Wards that have not applied the countermeasure.")


class RespondIn(BaseModel):
    acknowledged: bool = False
    applied: bool = Field(False, description="The countermeasure is applied (recorded now).")
    note: str = Field("", max_length=5000)
    ward: TenantCode | None = Field(None, description="Defaults to your own ward.")


class IndicatorOut(BaseModel):
    stix_id: str
    name: str
    kind: str
    value: str
    tlp: str
    warning: str | None = Field(description="Why it never alerts (warning list), if it does not.")
    added_at: datetime


class SightingOut(BaseModel):
    id: int
    ward: TenantCode
    stix_id: str
    indicator_name: str
    kind: str
    value: str
    field: str
    event_id: str
    event_time: datetime
    found_at: datetime
    via: str


class FeedIn(BaseModel):
    name: str = Field(min_length=2, max_length=200)
    kind: FeedKind
    url: str = Field(description="TAXII: the API root URL; others: the file or MISP feed URL.")
    collection: str = Field("", description="TAXII: the remote collection id.")
    username: str = ""
    secret_env: str = Field("", description="Environment variable with the password or token.")
    default_tlp: str = "green"
    interval_minutes: int = Field(60, ge=5, le=7 * 24 * 60)
    enabled: bool = True


class FeedOut(FeedIn):
    id: int
    last_run_at: datetime | None
    last_status: str
    last_message: str
    objects_total: int


class ImportOut(BaseModel):
    source: str
    received: int
    added: int
    duplicates: int
    rejected: int = Field(
        description="Rejected records are kept in the quarantine with the reason."
    )
    problems: list[str]


class HuntOut(BaseModel):
    id: int
    state: str
    reason: str
    days: int
    created_at: datetime
    finished_at: datetime | None
    indicators: int
    events: int
    hits: int
    error: str


# -- submissions ------------------------------------------------------------------------


@router.post(
    "/submissions",
    response_model=SubmissionOut,
    status_code=201,
    summary="Submit what your ward saw (anonymised for approval, never shared before)",
)
def submit(
    body: Report, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> SubmissionOut:
    submission = submissions.create(
        session,
        runtime.settings,
        principal,
        body,
        now=runtime.clock.now(),
        channel="api",
        client=client_address(request),
    )
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
def submit_from_incident(
    body: FromIncidentIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubmissionOut:
    try:
        level = parse_level(body.tlp).value
    except ValueError as exc:
        raise InvalidInput("unknown TLP level", [Problem(str(exc), "body tlp")]) from None
    submission = submissions.from_incident(
        session,
        runtime.settings,
        principal,
        body.incident_id,
        title=body.title,
        tlp=level,
        now=runtime.clock.now(),
        client=client_address(request),
    )
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
def preview(
    submission_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Preview:
    s = submissions.read_original(
        session, principal, submission_id, now=runtime.clock.now(), client=client_address(request)
    )
    return _preview(s)


@router.post(
    "/submissions/{submission_id}/redact",
    response_model=Preview,
    summary="Remove more terms; the preview gets a new version",
)
def redact(
    submission_id: IdPath,
    body: RedactIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Preview:
    s = submissions.reanonymise(
        session,
        runtime.settings,
        principal,
        submission_id,
        body.terms,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _preview(s)


@router.post(
    "/submissions/{submission_id}/approve",
    response_model=SubmissionOut,
    summary="Approve the previewed version: it is published to every ward",
)
def approve(
    submission_id: IdPath,
    body: ApproveIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubmissionOut:
    s = submissions.approve(
        session,
        runtime.settings,
        principal,
        submission_id,
        body.version,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return SubmissionOut.of(s)


@router.post(
    "/submissions/{submission_id}/withdraw",
    response_model=SubmissionOut,
    summary="Withdraw before approval",
)
def withdraw(
    submission_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SubmissionOut:
    s = submissions.withdraw(
        session, principal, submission_id, now=runtime.clock.now(), client=client_address(request)
    )
    return SubmissionOut.of(s)


# -- advisories -------------------------------------------------------------------------


@router.post(
    "/advisories",
    response_model=AdvisoryOut,
    status_code=201,
    summary="Publish an advisory with countermeasures to all or chosen wards (joint centre)",
)
def publish_advisory(
    body: advisories.AdvisoryCreate,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> AdvisoryOut:
    advisory = advisories.publish(
        session,
        runtime.settings,
        principal,
        body,
        now=runtime.clock.now(),
        client=client_address(request),
    )
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
        wards=[RecipientOut.of(r) for r in rows],
        not_applied=[r.ward for r in rows if r.applied_at is None],
    )


@router.post(
    "/advisories/{advisory_id}/respond",
    response_model=RecipientOut,
    summary="Acknowledge an advisory and/or record that its countermeasure is applied",
)
def respond(
    advisory_id: IdPath,
    body: RespondIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RecipientOut:
    recipient = advisories.respond(
        session,
        principal,
        advisory_id,
        ward=body.ward,
        acknowledged=body.acknowledged,
        applied=body.applied,
        note=body.note,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return RecipientOut.of(recipient)


# -- indicators, sightings, hunts ---------------------------------------------------------


@router.get(
    "/indicators",
    response_model=list[IndicatorOut],
    summary="Matchable indicator values you may see",
)
def list_indicators(
    principal: UserDep,
    session: SessionDep,
    q: str = "",
    kind: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[IndicatorOut]:
    require(principal, "intel.read")
    rows, _ = indicators.search(session, principal, q=q, kind=kind, limit=limit, offset=offset)
    return [IndicatorOut.model_validate(r, from_attributes=True) for r in rows]


@router.get(
    "/sightings",
    response_model=list[SightingOut],
    summary="Shared indicators seen in your ward's logs",
)
def list_sightings(
    principal: UserDep,
    session: SessionDep,
    ward: TenantCode | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SightingOut]:
    stmt = hunting.visible_sightings(principal, ward)
    rows = session.scalars(
        stmt.order_by(Sighting.found_at.desc(), Sighting.id.desc()).limit(limit).offset(offset)
    )
    return [SightingOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/hunts", response_model=list[HuntOut], summary="Retro-hunts (joint centre)")
def list_hunts(principal: UserDep, session: SessionDep) -> list[HuntOut]:
    from sqlalchemy import select

    require(principal, "intel.feeds.manage")
    rows = session.scalars(select(Hunt).order_by(Hunt.id.desc()).limit(100))
    return [HuntOut.model_validate(h, from_attributes=True) for h in rows]


@router.post(
    "/hunts",
    response_model=HuntOut,
    status_code=202,
    summary="Queue a retro-hunt of every live indicator over the past N days",
)
def queue_hunt(
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
) -> HuntOut:
    require(principal, "intel.feeds.manage")
    now = runtime.clock.now()
    hunt = indicators.queue_hunt(
        session,
        since=None,
        days=days or runtime.settings.section(IntelSettings).retro_hunt_days,
        reason=f"requested by {principal.label}",
        now=now,
    )
    hunt.indicators_since = None
    session.flush()
    return HuntOut.model_validate(hunt, from_attributes=True)


# -- feeds and imports ------------------------------------------------------------------


@router.get(
    "/feeds", response_model=list[FeedOut], summary="National and vendor feeds (joint centre)"
)
def list_feeds(principal: UserDep, session: SessionDep) -> list[FeedOut]:
    from sqlalchemy import select

    require(principal, "intel.feeds.manage")
    return [
        FeedOut.model_validate(f, from_attributes=True)
        for f in session.scalars(select(Feed).order_by(Feed.name))
    ]


@router.post(
    "/feeds", response_model=FeedOut, status_code=201, summary="Add a feed pulled on a schedule"
)
def create_feed(body: FeedIn, principal: UserDep, session: SessionDep) -> FeedOut:
    feed = feeds.add_feed(session, principal, body.model_dump())
    return FeedOut.model_validate(feed, from_attributes=True)


@router.post("/feeds/{feed_id}/pull", response_model=FeedOut, summary="Pull a feed now")
async def pull_feed(feed_id: IdPath, principal: UserDep, runtime: RuntimeDep) -> FeedOut:
    require(principal, "intel.feeds.manage")
    feed = await run_in_threadpool(
        feeds.run_feed, runtime.db, runtime.settings, feed_id, runtime.clock.now()
    )
    return FeedOut.model_validate(feed, from_attributes=True)


@router.post(
    "/import", response_model=ImportOut, summary="Import a STIX bundle, MISP event or CSV list"
)
async def import_file(
    request: Request,
    principal: UserDep,
    runtime: RuntimeDep,
    file: UploadFile,
    format: Annotated[ImportFormat, Form(description="auto: recognised from the content")] = "auto",
    tlp: Annotated[str | None, Form(description="TLP for objects that carry none")] = None,
) -> ImportOut:
    data = await file.read()
    if not data:
        raise InvalidInput("empty file", [Problem("choose a file", "file")])
    report = await run_in_threadpool(
        feeds.import_bytes,
        runtime.db,
        runtime.settings,
        principal,
        data,
        file.filename or "upload",
        fmt=format,
        tlp=tlp,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return ImportOut(
        source=report.source,
        received=report.received,
        added=report.added,
        duplicates=report.duplicates,
        rejected=report.rejected,
        problems=report.problems,
    )


# -- background work --------------------------------------------------------------------


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    runtime = app.state.runtime
    scheduler = Scheduler(runtime.db, runtime.settings, runtime.data_dir, runtime.clock)
    if runtime.settings.section(IntelSettings).feed_scheduler:
        scheduler.start()
    try:
        yield
    finally:
        await asyncio.to_thread(scheduler.stop)


LIFESPAN = _lifespan
