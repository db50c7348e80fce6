"""Joint SOC over JSON: ingest batches of logs, search events, count what arrived.

Ingest answers only after the batch is durable in the write-ahead spool; when the lake
writer is too far behind it answers 503 with ``Retry-After`` (Vector and Fluent Bit
retry on 5xx), so memory never grows with the backlog.

With ``soc.syslog_enabled`` the web server also runs the syslog listener (``LIFESPAN``),
and stops it (and the lake writer, after its current commit) when it shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import narrow_to_visible, visible_tenants
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.drills.senders import RunningExercises
from rengo.soc import envelopes
from rengo.soc.health import HealthWatch, lake_health
from rengo.soc.listen import start_with_serve
from rengo.soc.parsers import formats
from rengo.soc.schema import Origin
from rengo.soc.search import EventQuery, search_events
from rengo.soc.service import close_stores, limits_of, store_for
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch, IngestBusy
from rengo.soc.stats import collect_stats
from rengo.web.bodies import read_decoded
from rengo.web.deps import RuntimeDep, SessionDep, Timestamp, UserDep, client_address

HTTP_FORMATS = [name for name in formats() if name != "evtx"]
"""Formats records may be sent in over HTTP (EVTX is a file format: ``rengo soc ingest``)."""

router = APIRouter(prefix="/api/v1/soc", tags=["soc"])


@asynccontextmanager
async def _syslog(app: FastAPI) -> AsyncIterator[None]:
    runtime = app.state.runtime
    running = await run_in_threadpool(
        start_with_serve,
        runtime.data_dir,
        runtime.settings.section(SocSettings),
        RunningExercises(runtime),  # an exercise's syslog replay is tagged as such
    )
    app.state.soc_syslog = running
    watch = HealthWatch(runtime)
    watch.start()
    try:
        yield
    finally:
        await run_in_threadpool(watch.stop)
        if running is not None:
            await run_in_threadpool(running.stop)
        await run_in_threadpool(close_stores)


LIFESPAN = _syslog
INGEST_PATH = f"{router.prefix}/ingest"
BODY_LIMITS = {INGEST_PATH: lambda settings: settings.section(SocSettings).http_max_body_bytes}


def _lake_ready(runtime: Runtime) -> tuple[bool, dict[str, Any]]:
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
    now = runtime.clock.now()
    health = lake_health(store, runtime.settings.section(SocSettings), now)
    return health.ready, health.to_json(now)


HEALTH = {"soc_lake": _lake_ready}


class IngestOut(BaseModel):
    accepted: bool = Field(description="True: the batch is durable and will be stored.")
    ward: TenantCode
    bytes: int = Field(description="Body size after decompression.")
    position: int = Field(
        description="Spool position after this batch (lake head passes it when stored)."
    )


class EventPage(BaseModel):
    events: list[dict[str, Any]] = Field(description="Events (all OCSF columns, unmapped, raw)")
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")
    elapsed_ms: float


class CountRow(BaseModel):
    ward: TenantCode
    class_uid: int
    class_name: str
    source: str | None
    day: str
    origin: str
    events: int


class QuarantineRow(BaseModel):
    ward: TenantCode
    source: str | None
    format: str | None
    reason: str | None
    records: int
    last_received: datetime


class StatsOut(BaseModel):
    since: datetime
    until: datetime
    total_events: int
    total_quarantined: int
    counts: list[CountRow]
    last_seen: dict[str, datetime | None]
    silent_wards: list[str] = Field(description="Wards that sent nothing for soc.silent_ward_hours")
    quarantine: list[QuarantineRow]


@router.post(
    "/ingest",
    response_model=IngestOut,
    summary="Send a batch of log records (NDJSON, JSON array, Fluent Bit msgpack, text lines)",
    responses={
        413: {"description": "Body larger than soc.http_max_body_bytes (sent or inflated)"},
        422: {"description": "Bad parameters, or a record too large or nested too deeply"},
        503: {"description": "The lake writer is behind; retry after Retry-After seconds"},
    },
)
async def ingest(
    request: Request,
    principal: UserDep,
    runtime: RuntimeDep,
    ward: Annotated[
        TenantCode | None, Query(description="Ward code; a ward token sends for its own ward")
    ] = None,
    fmt: Annotated[
        str,
        Query(
            alias="format",
            description="The records' format (auto: recognised record by record)",
            json_schema_extra={"enum": HTTP_FORMATS},
        ),
    ] = "auto",
    source: Annotated[
        str | None, Query(description="Name of the sending system (default: the token)")
    ] = None,
    origin: Annotated[Origin, Query(description="Real logs, or demo or exercise data")] = "real",
) -> Any:
    wards = narrow_to_visible(principal, "soc.ingest", ward)
    if wards is None or len(wards) != 1 or JOINT in wards:
        raise InvalidInput("which ward?", [Problem("the joint centre must name the ward", "ward")])
    (code,) = wards
    if fmt not in HTTP_FORMATS:
        raise InvalidInput(
            "invalid ingest parameters", [Problem(f"one of {', '.join(HTTP_FORMATS)}", "format")]
        )
    body = await read_decoded(request, runtime.settings.section(SocSettings).http_max_body_bytes)
    if not body.strip():
        raise InvalidInput("empty body", [Problem("no records", "body")])
    content_type = request.headers.get("content-type") or "application/x-ndjson"
    # Refuse what the lake would refuse before saying "accepted" (nothing is spooled).
    limits = limits_of(runtime.settings.section(SocSettings))
    refused = await run_in_threadpool(envelopes.problems, body, content_type, limits)
    if refused:
        raise InvalidInput("records cannot be stored", refused)
    batch = Batch(
        ward=code,
        source=source or f"http:{principal.label.split(' ')[0]}",
        format=fmt,
        records=[body],
        origin=origin,
        received=runtime.clock.now(),
        content_type=content_type,
    )
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings))
    try:
        position = await run_in_threadpool(store.accept, [batch], 2.0)
    except IngestBusy as exc:
        return JSONResponse(
            {"error": "busy", "message": str(exc), "problems": []},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return IngestOut(accepted=True, ward=code, bytes=len(body), position=position)


def _filters(values: list[str]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition(":")
        if not sep or not name:
            raise InvalidInput("bad filter", [Problem("write field:value", f"filter {item!r}")])
        out[name.strip()] = value.strip()
    return out


@router.get("/events", response_model=EventPage, summary="Search events (newest first, paged)")
def events(
    principal: UserDep,
    runtime: RuntimeDep,
    session: SessionDep,
    request: Request,
    since: Annotated[
        Timestamp | None, Query(description="From (ISO 8601); default 24 h ago")
    ] = None,
    until: Annotated[
        Timestamp | None, Query(description="Until (ISO 8601, excluded); default now")
    ] = None,
    ward: Annotated[
        TenantCode | None, Query(description="Only this ward (the joint centre sees all)")
    ] = None,
    class_uid: Annotated[list[int] | None, Query(description="OCSF classes")] = None,
    filter_: Annotated[
        list[str] | None,
        Query(
            alias="filter",
            description="field:value, repeatable; unmapped.<Field> for original fields; * wildcard",
        ),
    ] = None,
    q: Annotated[str, Query(description="Words in the message")] = "",
    origin: Annotated[
        Origin | None, Query(description="Only real logs, or demo or exercise data")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> EventPage:
    wards = narrow_to_visible(principal, "soc.events.read", ward)
    now = runtime.clock.now()
    query = EventQuery(
        since=since or now - timedelta(hours=24),
        until=until or now,
        wards=wards,
        classes=tuple(class_uid or ()),
        filters=_filters(filter_ or []),
        text=q,
        origin=origin,
        limit=limit,
        cursor=cursor,
    )
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
    page = search_events(store.lake, query)
    audit.record(
        session,
        principal,
        "soc.events.read",
        object_type="soc_events",
        object_tenant=ward,
        client=client_address(request),
        detail={
            "since": query.since.isoformat(),
            "until": query.until.isoformat(),
            "filters": query.filters,
            "q": q,
            "returned": len(page.items),
        },
    )
    return EventPage(events=page.items, next_cursor=page.next_cursor, elapsed_ms=page.elapsed_ms)


@router.get(
    "/stats",
    response_model=StatsOut,
    summary="Events per ward, class, source and day; silent wards; quarantine",
)
def stats(
    principal: UserDep,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=400)] = 14,
) -> StatsOut:
    wards = visible_tenants(principal, "soc.stats.read")
    store = store_for(runtime.data_dir, runtime.settings.section(SocSettings), write=False)
    result = collect_stats(
        store.lake,
        wards=wards,
        now=runtime.clock.now(),
        days=days,
        silent_hours=runtime.settings.section(SocSettings).silent_ward_hours,
    )
    return StatsOut(
        since=result.since,
        until=result.until,
        total_events=result.total_events,
        total_quarantined=result.total_quarantined,
        counts=[CountRow(**{**c, "day": c["day"].isoformat()}) for c in result.counts],
        last_seen=result.last_seen,
        silent_wards=result.silent_wards,
        quarantine=[QuarantineRow(**q) for q in result.quarantine],
    )
