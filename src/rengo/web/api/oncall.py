"""On call over JSON: teams, rotas, hand-overs, pages, acknowledgements, the delivery log.

The web server also runs the CSIRT worker (``LIFESPAN``): every
``csirt.worker_interval_seconds`` it sends due notifications and escalates pages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rengo.core.errors import NotFound
from rengo.core.permissions import require, visible_tenants
from rengo.core.runtime import Runtime
from rengo.csirt import notify, oncall
from rengo.csirt.models import OnCallTeam
from rengo.csirt.worker import TickReport, Worker, tick
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/oncall", tags=["oncall"])


@asynccontextmanager
async def _worker(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    interval = runtime.settings.csirt.worker_interval_seconds
    worker = (
        Worker(runtime.db, runtime.settings, runtime.clock, interval).start()
        if interval > 0
        else None
    )
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


LIFESPAN = _worker


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(description="Ward code or 'joint'")
    name: str = Field(min_length=1, max_length=128)
    kind: str = Field(description="csirt | ward_contact | executives")
    manager: str | None = Field(None, description="User name of the last escalation step")
    ack_minutes: int | None = Field(None, ge=1, le=1440, description="Default from settings")
    webhook_url: str = Field("", description="Teams/Slack-compatible incoming webhook")
    webhook_secret_name: str = Field("", description="Signs the webhook (a named settings key)")


class ShiftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    starts_at: datetime
    ends_at: datetime
    handover_note: str
    handed_over_at: datetime | None


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: str
    name: str
    kind: str
    manager: str | None
    ack_minutes: int
    webhook_url: str
    on_call: str | None = None
    upcoming: list[ShiftOut] = Field(default_factory=list)


class RotaIn(BaseModel):
    usernames: list[str] = Field(min_length=1, description="Taken in turn, one per shift")
    start: AwareDatetime
    shift_hours: float = Field(gt=0, le=336)
    count: int = Field(ge=1, le=1000)


class HandoverIn(BaseModel):
    note: str = Field(min_length=1, max_length=5000)


class PageIn(BaseModel):
    subject: str = Field(min_length=1, max_length=300)
    body: str = ""
    incident_id: int | None = Field(None, ge=1, le=2**31 - 1)


class PageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    team_id: int
    incident_id: int | None
    subject: str
    created_at: datetime
    level: int
    target: str
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    next_escalation_at: datetime | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    tenant: str | None
    channel: str
    recipient: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    reference: str


class TickOut(BaseModel):
    escalated: int
    became_major: int
    sent: int
    retrying: int
    failed: int


def _team_out(session: SessionDep, team: OnCallTeam, now: datetime) -> TeamOut:
    shift = oncall.current_shift(session, team.id, now)
    upcoming = [ShiftOut.model_validate(s) for s in oncall.upcoming_shifts(session, team.id, now)]
    out = TeamOut.model_validate(team)
    return out.model_copy(
        update={"on_call": shift.username if shift else None, "upcoming": upcoming}
    )


@router.get("/teams", response_model=list[TeamOut], summary="Teams with who is on call now")
def list_teams(principal: UserDep, session: SessionDep, runtime: RuntimeDep) -> list[TeamOut]:
    now = runtime.clock.now()
    return [_team_out(session, t, now) for t in oncall.teams(session, principal)]


@router.post("/teams", response_model=TeamOut, status_code=201, summary="Create a team")
def create_team(
    body: TeamIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    team = oncall.create_team(session, principal, settings=runtime.settings, **body.model_dump())
    return _team_out(session, team, runtime.clock.now())


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team and its coming shifts")
def read_team(
    team_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    return _team_out(session, oncall.get_team(session, principal, team_id), runtime.clock.now())


@router.post("/teams/{team_id}/shifts", response_model=list[ShiftOut], status_code=201,
             summary="Add a rota: consecutive shifts taking the people in turn")  # fmt: skip
def add_rota(
    team_id: IdPath, body: RotaIn, principal: UserDep, session: SessionDep
) -> list[ShiftOut]:
    shifts = oncall.add_shifts(session, principal, team_id, usernames=body.usernames, start=body.start,
                               shift_hours=body.shift_hours, count=body.count)  # fmt: skip
    return [ShiftOut.model_validate(s) for s in shifts]


@router.post("/teams/{team_id}/handover", response_model=ShiftOut,
             summary="The outgoing person's hand-over note")  # fmt: skip
def handover(team_id: IdPath, body: HandoverIn, principal: UserDep, session: SessionDep,
             runtime: RuntimeDep) -> ShiftOut:  # fmt: skip
    return ShiftOut.model_validate(
        oncall.hand_over(session, principal, team_id, body.note, runtime.clock.now())
    )


@router.post(
    "/teams/{team_id}/pages", response_model=PageOut, status_code=201, summary="Page a team"
)
def page_team(team_id: IdPath, body: PageIn, principal: UserDep, session: SessionDep,
              runtime: RuntimeDep) -> PageOut:  # fmt: skip
    team = oncall.get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    if body.incident_id is not None:
        from rengo.csirt.incidents import get_incident

        get_incident(session, principal, body.incident_id)
    sent = oncall.page_team(session, team, subject=body.subject, body=body.body, settings=runtime.settings,
                            now=runtime.clock.now(), incident_id=body.incident_id)  # fmt: skip
    return PageOut.model_validate(sent.page)


@router.get("/pages", response_model=list[PageOut], summary="Pages, newest first")
def list_pages(principal: UserDep, session: SessionDep,
               open_only: Annotated[bool, Query(alias="open")] = False) -> list[PageOut]:  # fmt: skip
    return [
        PageOut.model_validate(p) for p in oncall.pages(session, principal, open_only=open_only)
    ]


@router.post("/pages/{page_id}/ack", response_model=PageOut, summary="Acknowledge a page")
def ack_page(
    page_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> PageOut:
    page = oncall.get_page(session, principal, page_id)
    return PageOut.model_validate(
        oncall.acknowledge(session, page, principal.label, runtime.clock.now(), principal)
    )


@router.post("/ack/{token}", response_model=PageOut,
             summary="Acknowledge by the link sent in the notification (the token is the proof)")  # fmt: skip
def ack_by_token(token: str, session: SessionDep, runtime: RuntimeDep) -> PageOut:
    page = oncall.page_by_token(session, token)
    if page.status == "exhausted":
        raise NotFound("this page is no longer open")
    who = f"{page.target or 'someone'} (link)"
    return PageOut.model_validate(oncall.acknowledge(session, page, who, runtime.clock.now()))


@router.get(
    "/deliveries", response_model=list[DeliveryOut], summary="The notification delivery log"
)
def list_deliveries(principal: UserDep, session: SessionDep, reference: str | None = None,
                    status: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:  # fmt: skip
    tenants = visible_tenants(principal, "csirt.deliveries.read")
    rows = notify.deliveries(
        session, tenants=tenants, reference=reference, status=status, limit=limit
    )
    return [DeliveryOut.model_validate(d) for d in rows]


@router.post("/run", response_model=TickOut,
             summary="Send due notifications and run escalations now (the worker does it too)")  # fmt: skip
def run_now(principal: UserDep, runtime: RuntimeDep) -> TickOut:
    require(principal, "csirt.deliveries.send")
    report: TickReport = tick(runtime.db, runtime.settings, runtime.clock)
    return TickOut(**{f: getattr(report, f) for f in TickOut.model_fields})
