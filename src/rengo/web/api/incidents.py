"""Incidents over JSON: open (from alerts, by hand, from a ward's report), search, change,
move through the life cycle, merge, split; timeline, notes, tasks, evidence, indicators,
containment actions with approval, and reports (HTML/PDF, monthly)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from rengo.core.clock import to_jst
from rengo.core.errors import InvalidInput, Problem
from rengo.core.reports import Rendered
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.csirt import changes, incidents, merge, reports, search, timeline
from rengo.csirt.alerts import AlertSource
from rengo.csirt.metrics import durations
from rengo.csirt.models import Incident, TimelineEntry
from rengo.csirt.schemas import (
    IncidentCreate,
    IncidentOut,
    IncidentPatch,
    IndicatorOut,
    MergeIn,
    NoteIn,
    ReviewIn,
    SplitIn,
    TimelineOut,
    TransitionIn,
)
from rengo.csirt.soc_adapter import SocAlertSource
from rengo.notify import outbox
from rengo.web.deps import (
    ActingDep,
    IdPath,
    RuntimeDep,
    SessionDep,
    Timestamp,
    UserDep,
    client_address,
    get_runtime,
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


def alert_source(request: Request) -> AlertSource:
    """The app's alert source (tests put a double in ``app.state.csirt_alert_source``)."""
    source: AlertSource | None = getattr(request.app.state, "csirt_alert_source", None)
    return source if source is not None else SocAlertSource(get_runtime(request).clock)


def send_notifications(runtime: Runtime) -> None:
    """Deliver what a change queued, right after the response (the worker retries)."""
    outbox.deliver_due(runtime.db, runtime.settings, runtime.clock)


def describe(session: Session, incident: Incident) -> IncidentOut:
    d = durations(incident)
    values = {
        name: getattr(incident, name)
        for name in IncidentOut.model_fields
        if hasattr(incident, name)
    }
    values.update(
        wards=incidents.wards_of(session, incident.id),
        alert_ids=incidents.alert_ids_of(session, incident.id),
        asset_ids=incidents.asset_ids_of(session, incident.id),
        mttd_minutes=d.mttd_minutes,
        mtta_minutes=d.mtta_minutes,
        mttc_minutes=d.mttc_minutes,
    )
    return IncidentOut.model_validate(values)


class IncidentSummary(BaseModel):
    id: int
    ref: str
    title: str
    category: str
    severity: str
    status: str
    wards: list[str]
    detected_at: datetime
    contained_at: datetime | None
    major: bool


class IncidentList(BaseModel):
    items: list[IncidentSummary]
    total: int
    page: int
    per_page: int


class TimelinePage(BaseModel):
    items: list[TimelineOut]
    next_after: str | None = Field(None, description="Pass as `after` for the next page.")


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("", response_model=IncidentList, summary="Search incidents (newest detection first)")
def list_incidents(
    principal: UserDep,
    session: SessionDep,
    ward: Annotated[
        TenantCode | None, Query(description="Ward code; a ward sees only its own")
    ] = None,
    status: str | None = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    severity: str | None = None,
    category: str | None = None,
    major: bool | None = None,
    q: Annotated[str | None, Query(description="Text in the title")] = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> IncidentList:
    f = search.IncidentFilter(
        ward=ward,
        status=status,
        open_only=open_only,
        severity=severity,
        category=category,
        major=major,
        q=q,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
    )
    result = search.search(session, principal, f)
    items = [
        IncidentSummary(
            id=i.id,
            ref=i.ref,
            title=i.title,
            category=i.category,
            severity=i.severity,
            status=i.status,
            wards=result.wards[i.id],
            detected_at=i.detected_at,
            contained_at=i.contained_at,
            major=i.major,
        )
        for i in result.items
    ]
    return IncidentList(items=items, total=result.total, page=result.page, per_page=result.per_page)


@router.post(
    "",
    response_model=IncidentOut,
    status_code=201,
    summary="Open an incident from SOC alert ids, by hand, or from a ward's report",
)
def create(
    body: IncidentCreate,
    request: Request,
    response: Response,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> IncidentOut:
    incident = incidents.create_incident(
        session,
        principal,
        body,
        runtime.settings,
        alert_source=alert_source(request),
        now=runtime.clock.now(),
        client=client_address(request),
    )
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    response.headers["ETag"] = _etag(incident.version)
    background.add_task(send_notifications, runtime)
    return describe(session, incident)


@router.get(
    "/reports/monthly",
    summary="Monthly report of a ward (or the joint centre)",
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
def monthly(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    month: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (JST); default this month")
    ] = None,
    ward: Annotated[
        TenantCode | None, Query(description="Ward code; omit for the joint centre")
    ] = None,
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "html",
) -> Response:
    month = month or to_jst(runtime.clock.now()).strftime("%Y-%m")
    year, number = (int(p) for p in month.split("-"))
    rendered = reports.monthly_report(
        session,
        principal,
        ward,
        year,
        number,
        format,
        alert_source=alert_source(request),
        settings=runtime.settings,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _download(rendered)


def _download(rendered: Rendered) -> Response:
    disposition = "inline" if rendered.filename.endswith(".html") else "attachment"
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'},
    )


@router.get("/{incident_id}", response_model=IncidentOut, summary="One incident")
def read(
    incident_id: IdPath,
    request: Request,
    response: Response,
    principal: UserDep,
    session: SessionDep,
) -> IncidentOut:
    incident = incidents.read_incident(
        session, principal, incident_id, client=client_address(request)
    )
    response.headers["ETag"] = _etag(incident.version)
    return describe(session, incident)


def _if_match(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidInput(
            "bad If-Match", [Problem('an ETag like "3"', "header If-Match")]
        ) from None


@router.patch(
    "/{incident_id}",
    response_model=IncidentOut,
    summary="Change fields (send If-Match with the ETag you read to avoid lost updates)",
)
def patch(
    incident_id: IdPath,
    body: IncidentPatch,
    response: Response,
    by: ActingDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
    if_match: Annotated[str | None, Header()] = None,
) -> IncidentOut:
    incident = changes.update_incident(by, incident_id, body, expected_version=_if_match(if_match))
    response.headers["ETag"] = _etag(incident.version)
    background.add_task(send_notifications, runtime)
    return describe(by.session, incident)


@router.post(
    "/{incident_id}/transitions",
    response_model=IncidentOut,
    summary="Move through the life cycle (closing needs a cause and a report summary)",
)
def transition(incident_id: IdPath, body: TransitionIn, by: ActingDep) -> IncidentOut:
    incident = changes.transition(by, incident_id, body.to, body.reason)
    return describe(by.session, incident)


@router.post("/{incident_id}/review", response_model=IncidentOut, summary="Post-incident review")
def review(incident_id: IdPath, body: ReviewIn, by: ActingDep) -> IncidentOut:
    incident = changes.review(by, incident_id, body.notes, body.lessons)
    return describe(by.session, incident)


@router.post(
    "/{incident_id}/merge",
    response_model=IncidentOut,
    summary="Merge other incidents into this one",
)
def merge_into(incident_id: IdPath, body: MergeIn, by: ActingDep) -> IncidentOut:
    incident = merge.merge(by, incident_id, body.incident_ids, reason=body.reason)
    return describe(by.session, incident)


@router.post(
    "/{incident_id}/split",
    response_model=IncidentOut,
    status_code=201,
    summary="Move some alerts to a new incident; answers the new incident",
)
def split_off(incident_id: IdPath, body: SplitIn, by: ActingDep) -> IncidentOut:
    new = merge.split(by, incident_id, body.alert_ids, title=body.title, reason=body.reason)
    return describe(by.session, new)


@router.get(
    "/{incident_id}/timeline",
    response_model=TimelinePage,
    summary="Alerts, events, notes, actions, status changes and messages in time order",
)
def read_timeline(
    incident_id: IdPath,
    principal: UserDep,
    session: SessionDep,
    kind: Annotated[list[str] | None, Query(description="Only these kinds")] = None,
    after: Annotated[str | None, Query(description="`next_after` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> TimelinePage:
    incident = incidents.get_incident(session, principal, incident_id)
    cursor = None
    if after:
        try:
            micros, _, id_text = after.partition("_")
            cursor = (datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(id_text))
        except (ValueError, OverflowError, OSError):
            raise InvalidInput(
                "bad cursor", [Problem("use next_after as given", "query after")]
            ) from None
    rows = timeline.entries(
        session,
        incident.id,
        kinds=set(kind) if kind else None,
        after=cursor,
        limit=limit,
        newest_first=order == "desc",
    )
    last = rows[-1] if len(rows) == limit else None
    # Microseconds since the epoch: URL-safe, exact, no time-zone sign to escape.
    next_after = f"{round(last.at.timestamp() * 1_000_000)}_{last.id}" if last else None
    return TimelinePage(items=[TimelineOut.model_validate(r) for r in rows], next_after=next_after)


@router.post(
    "/{incident_id}/notes",
    response_model=TimelineOut,
    status_code=201,
    summary="Add a note or a message; indicators in it are extracted",
)
def add_note(incident_id: IdPath, body: NoteIn, by: ActingDep) -> TimelineOut:
    entry_id = changes.add_note(by, incident_id, body.text, body.kind, to=body.to)
    entry = by.session.get(TimelineEntry, entry_id)
    return TimelineOut.model_validate(entry)


@router.get(
    "/{incident_id}/indicators",
    response_model=list[IndicatorOut],
    summary="Indicators (IPs, domains, URLs, senders, hashes) for the intelligence hub",
)
def read_indicators(
    incident_id: IdPath,
    principal: UserDep,
    session: SessionDep,
    internal: Annotated[bool, Query(description="Include private addresses")] = False,
) -> list[IndicatorOut]:
    items = incidents.incident_indicators(
        session, principal, incident_id, include_internal=internal
    )
    return [IndicatorOut.model_validate(i) for i in items]


@router.get(
    "/{incident_id}/report",
    summary="The incident report in Japanese, as HTML or PDF",
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}}},
)
def report(
    incident_id: IdPath,
    by: ActingDep,
    format: Annotated[str, Query(pattern="^(html|pdf)$")] = "pdf",
) -> Response:
    rendered = reports.incident_report(
        by.session,
        by.principal,
        incident_id,
        format,
        now=by.now,
        client=by.client,
    )
    return _download(rendered)
