"""The intelligence hub's indicators over JSON: the matchable values, their sightings in the
wards' logs, retro-hunts, and the feeds and file imports that bring them in (pulled on a
schedule by the worker this module starts)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import require
from rengo.core.types import TenantCode
from rengo.intel import feeds, hunting, indicators
from rengo.intel.feeds import FeedKind, ImportFormat
from rengo.intel.models import Feed, Hunt, Sighting
from rengo.intel.scheduler import Scheduler
from rengo.intel.settings import IntelSettings
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/intel", tags=["intel"])


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
