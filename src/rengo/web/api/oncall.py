"""On call over JSON: teams, members, rotas, swaps, hand-overs, escalation policies, pages,
acknowledgements, and the notification delivery log with retries.

The web server also runs the CSIRT worker (``LIFESPAN``): every
``csirt.worker_interval_seconds`` — and at once when a request queues work — it carries
out containment actions, escalates pages, runs the notifier hooks and sends what is due.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, FastAPI, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from rengo.core import audit
from rengo.core.errors import NotFound
from rengo.core.permissions import require, visible_tenants
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.worker import TickReport, Worker, tick
from rengo.notify import deliveries, escalation, oncall, outbox, paging
from rengo.notify.models import OnCallTeam
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/oncall", tags=["oncall"])


@asynccontextmanager
async def _worker(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    interval = runtime.settings.section(CsirtSettings).worker_interval_seconds
    worker = (
        Worker(runtime.db, runtime.settings, runtime.clock, interval).start()
        if interval > 0
        else None
    )
    app.state.csirt_worker = worker
    try:
        yield
    finally:
        app.state.csirt_worker = None
        if worker is not None:
            worker.stop()


LIFESPAN = _worker


def wake_worker(app: FastAPI) -> None:
    """Run the worker's next round now (a request queued an action, a page or a retry)."""
    worker: Worker | None = getattr(app.state, "csirt_worker", None)
    if worker is not None:
        worker.wake()


TeamKind = Literal["csirt", "ward_contact", "executives", "finance"]


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: TenantCode = Field(description="Ward code or 'joint'")
    name: str = Field(min_length=1, max_length=128)
    kind: TeamKind = Field(description="csirt | ward_contact | executives | finance")
    manager: str | None = Field(None, max_length=64, description="User name of the last step")
    ack_minutes: int | None = Field(None, ge=1, le=1440, description="Default from settings")
    webhook_url: str = Field("", max_length=1024, description="Teams/Slack-compatible webhook")
    webhook_secret_name: str = Field(
        "", max_length=64, description="Signs the webhook: the *name* of a key in settings"
    )


class TeamPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128)
    kind: TeamKind | None = None
    manager: str | None = Field(None, max_length=64, description="Empty string: no manager")
    ack_minutes: int | None = Field(None, ge=1, le=1440)
    webhook_url: str | None = Field(None, max_length=1024)
    webhook_secret_name: str | None = Field(None, max_length=64)


class ShiftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    starts_at: datetime
    ends_at: datetime
    handover_note: str
    handed_over_at: datetime | None


class StepModel(BaseModel):
    target: Literal["on_call", "next_on_call", "manager", "user", "team"] = Field(
        description="Whom the step calls"
    )
    minutes: int = Field(ge=1, le=escalation.MAX_MINUTES, description="Wait for an answer")
    user: str = Field("", max_length=64, description="The person, for target 'user'")


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: TenantCode
    name: str
    kind: str
    manager: str | None
    ack_minutes: int
    webhook_url: str = Field(description="Only the host: a chat webhook's URL is a credential")
    webhook_secret_name: str = Field(description="The key's name only; keys are never shown")
    members: list[str] = Field(default_factory=list, description="In rota order")
    escalation: list[StepModel] = Field(
        default_factory=list, description="The policy in force (the team's own or the default)"
    )
    own_escalation: bool = Field(False, description="False: the default policy applies")
    on_call: str | None = None
    upcoming: list[ShiftOut] = Field(default_factory=list)


class RotaIn(BaseModel):
    usernames: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=100, description="Taken in turn, one per shift; default the members"
    )
    start: AwareDatetime
    shift_hours: float = Field(gt=0, le=336)
    count: int = Field(ge=1, le=oncall.MAX_SHIFTS)
    replace: bool = Field(False, description="First drop the shifts that start from `start` on")


class MembersIn(BaseModel):
    usernames: list[Annotated[str, Field(max_length=64)]] = Field(
        max_length=100, description="Everyone in the team, in rota order"
    )


class SwapIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, description="Who takes the shift")


class EscalationIn(BaseModel):
    steps: list[StepModel] = Field(
        max_length=escalation.MAX_STEPS, description="In order; empty: back to the default"
    )


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
    level: int = Field(description="The step of the team's escalation policy")
    target: str
    called: list[str] = Field(description="Everyone the page has reached so far")
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    next_escalation_at: datetime | None


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    topic: str
    tenant: TenantCode | None
    channel: str
    recipient: str = Field(description="The e-mail address, or only the host of a webhook")
    subject: str
    status: str = Field(description="pending | sending | sent | failed")
    attempts: int
    next_attempt_at: datetime = Field(description="When a pending delivery is (re)tried")
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    reference: str
    retry_of: int | None = Field(description="The failed delivery this one sends again")

    @model_validator(mode="after")
    def _mask(self) -> DeliveryOut:
        if self.channel == "webhook":
            self.recipient = outbox.masked_url(self.recipient)
        return self


class TickOut(BaseModel):
    escalated: int = Field(description="Pages escalated to their next step")
    became_major: int = Field(description="Incidents whose ongoing outage became major")
    sent: int = Field(description="Notifications delivered")
    retrying: int = Field(description="Notifications that failed and wait for a retry")
    failed: int = Field(description="Notifications given up after their last attempt")
    actions_succeeded: int = Field(description="Containment actions carried out")
    actions_retrying: int = Field(description="Containment actions waiting for another attempt")
    actions_failed: int = Field(description="Containment actions that failed for good")
    hooked: int = Field(description="Items other domains' notifier hooks handled (FinOps alerts)")


def team_out(session: SessionDep, team: OnCallTeam, now: datetime) -> TeamOut:
    shift = oncall.current_shift(session, team.id, now)
    upcoming = [ShiftOut.model_validate(s) for s in oncall.upcoming_shifts(session, team.id, now)]
    steps = [StepModel(**s.as_dict()) for s in escalation.policy(team)]
    out = TeamOut.model_validate(team)
    return out.model_copy(
        update={
            "webhook_url": outbox.masked_url(team.webhook_url),
            "on_call": shift.username if shift else None,
            "upcoming": upcoming,
            "members": oncall.members(session, team.id),
            "escalation": steps,
            "own_escalation": bool(team.escalation),
        }
    )


@router.get("/teams", response_model=list[TeamOut], summary="Teams with who is on call now")
def list_teams(principal: UserDep, session: SessionDep, runtime: RuntimeDep) -> list[TeamOut]:
    now = runtime.clock.now()
    return [team_out(session, t, now) for t in oncall.teams(session, principal)]


@router.post("/teams", response_model=TeamOut, status_code=201, summary="Create a team")
def create_team(
    body: TeamIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    team = oncall.create_team(session, principal, settings=runtime.settings, **body.model_dump())
    return team_out(session, team, runtime.clock.now())


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team and its coming shifts")
def read_team(
    team_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    return team_out(session, oncall.get_team(session, principal, team_id), runtime.clock.now())


@router.patch("/teams/{team_id}", response_model=TeamOut, summary="Change a team's settings")
def change_team(
    team_id: IdPath, body: TeamPatch, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    team = oncall.update_team(session, principal, team_id, body.model_dump(exclude_unset=True))
    return team_out(session, team, runtime.clock.now())


@router.put(
    "/teams/{team_id}/members",
    response_model=TeamOut,
    summary="Set the team's people in rota order (adds, removes and reorders)",
)
def set_members(
    team_id: IdPath, body: MembersIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TeamOut:
    oncall.set_members(session, principal, team_id, body.usernames)
    return team_out(session, oncall.get_team(session, principal, team_id), runtime.clock.now())


@router.put(
    "/teams/{team_id}/escalation",
    response_model=TeamOut,
    summary="Set the team's escalation policy (an empty list restores the default)",
)
def set_escalation(
    team_id: IdPath,
    body: EscalationIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TeamOut:
    steps = [s.model_dump() for s in body.steps]
    team = oncall.set_escalation(session, principal, team_id, steps)
    return team_out(session, team, runtime.clock.now())


@router.post(
    "/teams/{team_id}/shifts",
    response_model=list[ShiftOut],
    status_code=201,
    summary="Add a rota: consecutive shifts taking the people in turn",
)
def add_rota(
    team_id: IdPath, body: RotaIn, principal: UserDep, session: SessionDep
) -> list[ShiftOut]:
    shifts = oncall.add_shifts(
        session,
        principal,
        team_id,
        usernames=body.usernames,
        start=body.start,
        shift_hours=body.shift_hours,
        count=body.count,
        replace=body.replace,
    )
    return [ShiftOut.model_validate(s) for s in shifts]


@router.patch(
    "/teams/{team_id}/shifts/{shift_id}",
    response_model=ShiftOut,
    summary="Give one coming shift to someone else (a swap)",
)
def swap(
    team_id: IdPath,
    shift_id: IdPath,
    body: SwapIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ShiftOut:
    shift = oncall.swap_shift(
        session, principal, team_id, shift_id, body.username.strip(), runtime.clock.now()
    )
    return ShiftOut.model_validate(shift)


@router.post(
    "/teams/{team_id}/handover",
    response_model=ShiftOut,
    summary="The outgoing person's hand-over note",
)
def handover(
    team_id: IdPath, body: HandoverIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> ShiftOut:
    return ShiftOut.model_validate(
        oncall.hand_over(session, principal, team_id, body.note, runtime.clock.now())
    )


@router.post(
    "/teams/{team_id}/pages", response_model=PageOut, status_code=201, summary="Page a team"
)
def page_team(
    team_id: IdPath,
    body: PageIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> PageOut:
    team = oncall.get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    if body.incident_id is not None:
        from rengo.csirt.incidents import get_incident

        get_incident(session, principal, body.incident_id)
    sent = paging.page_team(
        session,
        team,
        subject=body.subject,
        body=body.body,
        settings=runtime.settings,
        now=runtime.clock.now(),
        incident_id=body.incident_id,
    )
    background.add_task(wake_worker, request.app)
    return PageOut.model_validate(sent.page)


@router.get("/pages", response_model=list[PageOut], summary="Pages, newest first")
def list_pages(
    principal: UserDep, session: SessionDep, open_only: Annotated[bool, Query(alias="open")] = False
) -> list[PageOut]:
    return [
        PageOut.model_validate(p) for p in paging.pages(session, principal, open_only=open_only)
    ]


@router.post(
    "/pages/{page_id}/ack",
    response_model=PageOut,
    summary="Acknowledge a page (the people paged, the team's members or its managers)",
)
def ack_page(
    page_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> PageOut:
    page = paging.get_page(session, principal, page_id)
    return PageOut.model_validate(
        paging.acknowledge(session, page, principal.label, runtime.clock.now(), principal)
    )


@router.post(
    "/ack/{token}",
    response_model=PageOut,
    summary="Acknowledge by the link sent in the notification (the token is the proof)",
)
def ack_by_token(token: str, session: SessionDep, runtime: RuntimeDep) -> PageOut:
    page = paging.page_by_token(session, token)
    if page.status == "exhausted":
        raise NotFound("this page is no longer open")
    who = f"{page.target or 'someone'} (link)"
    return PageOut.model_validate(paging.acknowledge(session, page, who, runtime.clock.now()))


@router.get(
    "/deliveries", response_model=list[DeliveryOut], summary="The notification delivery log"
)
def list_deliveries(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    reference: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    tenants = visible_tenants(principal, "csirt.deliveries.read")
    rows = deliveries.log(
        session, tenants=tenants, reference=reference, status=status, channel=channel, limit=limit
    )
    audit.record_read(
        session,
        principal,
        "csirt.delivery.list",
        object_type="delivery_list",
        rows=len(rows),
        client=client_address(request),
    )
    return [DeliveryOut.model_validate(d) for d in rows]


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    status_code=201,
    summary="Send a failed delivery again (a new entry in the log points at it)",
)
def retry_delivery(
    delivery_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> DeliveryOut:
    again = deliveries.retry(session, principal, delivery_id, now=runtime.clock.now())
    background.add_task(wake_worker, request.app)
    return DeliveryOut.model_validate(again)


@router.post(
    "/run",
    response_model=TickOut,
    summary="Carry out queued actions, escalate, notify now (the worker does it too)",
)
def run_now(principal: UserDep, runtime: RuntimeDep) -> TickOut:
    require(principal, "csirt.deliveries.send")
    report: TickReport = tick(runtime.db, runtime.settings, runtime.clock)
    return TickOut(**{f: getattr(report, f) for f in TickOut.model_fields})
