"""The SOC alert queue over JSON: list and filter, read with events, triage, suppress, raise.

With ``detect.follow_with_serve`` the web server also runs incremental detection
(``LIFESPAN``): new events of the lake become alerts while ``rengo serve`` runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rengo.core import audit
from rengo.core.permissions import require
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.soc import alerts, alerts_tuning
from rengo.soc.alerts_models import Alert, AlertKind, AlertStatus, CloseReason
from rengo.soc.detect.settings import DetectSettings
from rengo.soc.schema import Level
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, Timestamp, UserDep, client_address

router = APIRouter(prefix="/api/v1/soc", tags=["soc"])


@asynccontextmanager
async def _follow(app: FastAPI) -> AsyncIterator[None]:
    from rengo.soc.detect.follow import start_with_serve

    thread = start_with_serve(app.state.runtime)
    app.state.soc_detect_follow = thread
    try:
        yield
    finally:
        if thread is not None:
            await run_in_threadpool(thread.stop)


LIFESPAN = _follow
AlertId = Annotated[
    str, Path(pattern=r"^ALR-\d{8}-[0-9A-F]{8}$", description="Public alert id, ALR-<date>-<hex>")
]


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    public_id: str = Field(description="The id the CSIRT quotes when it opens an incident")
    ward: TenantCode = Field(
        validation_alias=AliasChoices("tenant", "ward"),
        description="Ward code, or 'joint' for a campaign",
    )
    kind: AlertKind
    source: str
    rule_id: str
    rule_title: str
    rule_pack: str
    level: Level
    techniques: list[str] = Field(description="MITRE ATT&CK technique ids")
    status: AlertStatus
    assignee: str
    close_reason: str
    host: str | None
    user_name: str | None
    src_ip: str | None
    indicator: str | None
    group: dict[str, Any]
    wards: list[str] = Field(description="Every ward involved (campaigns: all affected wards)")
    campaign_id: int | None
    origin: str
    event_count: int
    detections: int
    first_seen: datetime
    last_seen: datetime


class AlertPageOut(BaseModel):
    items: list[AlertOut]
    total: int
    page: int
    per_page: int


class AlertDetailOut(AlertOut):
    event_ids: list[str] = Field(description="Ids of the matched events in the lake")
    members: list[str] = Field(default_factory=list, description="Ward alerts of a campaign")


class StatusIn(BaseModel):
    status: AlertStatus
    reason: CloseReason | Literal[""] = Field("", description="Needed to close")
    note: str = Field("", max_length=4000)


class AssignIn(BaseModel):
    assignee: str = Field(max_length=64)


class SuppressIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: Timestamp
    field: Literal["host", "user", "src_ip"] | None = Field(
        None, description="Only this one of the alert's (default: the whole rule)"
    )


class SuppressionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ward: TenantCode = Field(validation_alias=AliasChoices("tenant", "ward"))
    rule_id: str | None
    field: str | None
    value: str | None
    reason: str
    expires_at: datetime
    created_by: str
    hits: int


class RaiseIn(BaseModel):
    ward: TenantCode
    title: str = Field(min_length=1, max_length=300)
    level: Level
    time: Timestamp
    event_ids: list[str] = Field(min_length=1, max_length=1000)
    source: str = Field("intel", pattern=r"^[a-z][a-z0-9_-]{0,15}$")
    indicator: str | None = Field(None, max_length=300)
    techniques: list[str] = Field(default_factory=list)
    host: str | None = None
    user: str | None = None
    src_ip: str | None = None


class RaiseOut(BaseModel):
    new_alerts: list[str]
    updated_alerts: list[str]
    campaigns: list[str]
    suppressed: int


def alert_filter(
    ward: Annotated[
        TenantCode | None, Query(description="Ward code; the joint centre may give any")
    ] = None,
    status: AlertStatus | None = None,
    level: Level | None = None,
    min_level: Annotated[Level | None, Query(description="This level or higher")] = None,
    rule: Annotated[str | None, Query(description="Rule id, or words of its title")] = None,
    technique: Annotated[str | None, Query(description="ATT&CK technique, e.g. T1110")] = None,
    kind: AlertKind | None = None,
    assignee: str | None = None,
    q: Annotated[
        str | None, Query(description="Title, host, user, source address or alert id")
    ] = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> alerts.AlertFilter:
    return alerts.AlertFilter(
        ward=ward,
        status=status,
        level=level,
        min_level=min_level,
        rule=rule,
        technique=technique,
        kind=kind,
        assignee=assignee,
        q=q,
        since=since,
        until=until,
        page=page,
        per_page=per_page,
    )


FilterDep = Annotated[alerts.AlertFilter, Depends(alert_filter)]


def _out(alert: Alert) -> AlertOut:
    return AlertOut.model_validate(alert)


@router.get("/alerts", response_model=AlertPageOut, summary="The alert queue, newest first")
def list_alerts(
    request: Request, principal: UserDep, session: SessionDep, f: FilterDep
) -> AlertPageOut:
    page = alerts.search_alerts(session, principal, f)
    audit.record_read(
        session,
        principal,
        "soc.alert.list",
        object_type="alert_list",
        rows=len(page.items),
        client=client_address(request),
    )
    return AlertPageOut(
        items=[_out(a) for a in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
    )


@router.get(
    "/alerts/{public_id}",
    response_model=AlertDetailOut,
    summary="One alert with its matched event ids",
)
def read_alert(
    public_id: AlertId, principal: UserDep, session: SessionDep, request: Request
) -> AlertDetailOut:
    alert = alerts.get_alert(session, principal, public_id)
    event_ids = alerts.matched_event_ids(
        session, principal, public_id, client=client_address(request)
    )
    members = (
        [m.public_id for m in alerts.campaign_members(session, principal, alert)]
        if alert.kind == "campaign"
        else []
    )
    return AlertDetailOut(**_out(alert).model_dump(), event_ids=event_ids, members=members)


@router.post(
    "/alerts/{public_id}/status",
    response_model=AlertOut,
    summary="Acknowledge, close (with a reason) or reopen",
)
def change_status(
    public_id: AlertId,
    body: StatusIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> AlertOut:
    alert = alerts.set_status(
        session,
        principal,
        public_id,
        body.status,
        reason=body.reason,
        note=body.note,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _out(alert)


@router.post(
    "/alerts/{public_id}/assign",
    response_model=AlertOut,
    summary="Assign to someone (acknowledges a new alert)",
)
def assign_alert(
    public_id: AlertId,
    body: AssignIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    request: Request,
) -> AlertOut:
    alert = alerts.assign(
        session,
        principal,
        public_id,
        body.assignee,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _out(alert)


@router.post(
    "/alerts/{public_id}/suppress",
    response_model=SuppressionOut,
    status_code=201,
    summary="Suppress this alert's rule (for its host, user or source) until a date",
)
def suppress_alert(
    public_id: AlertId,
    body: SuppressIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> SuppressionOut:
    row = alerts_tuning.suppress(
        session,
        principal,
        reason=body.reason,
        expires_at=body.expires_at,
        now=runtime.clock.now(),
        field=body.field,
        alert_id=public_id,
    )
    return SuppressionOut.model_validate(row)


@router.post(
    "/alerts",
    response_model=RaiseOut,
    status_code=201,
    summary="Raise an alert from another detector (threat-intelligence indicator hits)",
)
def raise_alert(
    body: RaiseIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RaiseOut:
    result = alerts.raise_alert(
        session,
        principal,
        runtime.settings.section(DetectSettings),
        ward=body.ward,
        title=body.title,
        level=body.level,
        time=body.time,
        event_ids=body.event_ids,
        source=body.source,
        indicator=body.indicator,
        techniques=tuple(body.techniques),
        host=body.host,
        user=body.user,
        src_ip=body.src_ip,
        now=runtime.clock.now(),
    )
    return RaiseOut(
        new_alerts=result.new_alerts,
        updated_alerts=result.updated_alerts,
        campaigns=result.campaigns,
        suppressed=result.suppressed,
    )


# -- rules, tuning and suppressions ------------------------------------------------------


class RuleOut(BaseModel):
    id: str
    title: str
    level: str
    pack: str
    kind: Literal["detection", "correlation"]
    techniques: list[str]
    path: str = Field(description="<rule pack>/<file in the pack> (never a server folder)")


class RuleIssueOut(BaseModel):
    location: str = Field(description="<rule pack>/<file in the pack>:line")
    rule_id: str
    title: str
    reason: str


class RulesOut(BaseModel):
    rules: list[RuleOut]
    not_converted: list[RuleIssueOut] = Field(description="Rules that cannot run, with the reason")
    errors: list[RuleIssueOut] = Field(description="Files that are not valid Sigma")


class RuleSettingIn(BaseModel):
    ward: TenantCode | None = Field(
        None, description="Ward code, or 'joint' for every ward (default: one's own)"
    )
    enabled: bool
    level: Level | None = Field(None, description="Override the rule's level")
    note: str = Field("", max_length=2000)


class RuleSettingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ward: TenantCode = Field(validation_alias=AliasChoices("tenant", "ward"))
    rule_id: str
    enabled: bool
    level: str | None
    note: str
    updated_by: str
    updated_at: datetime


def _pack_path(path: str, runtime: Runtime) -> str:
    from rengo.soc.detect.rules import pack_path  # pySigma loads only when rules are asked for

    return pack_path(path, runtime.settings.section(DetectSettings).rule_folders)


def _issue(problem: Any, runtime: Runtime) -> RuleIssueOut:
    shown = _pack_path(problem.path, runtime)
    return RuleIssueOut(
        location=f"{shown}:{problem.line}" if problem.line else shown,
        rule_id=problem.rule_id,
        title=problem.title,
        reason=problem.message,
    )


@router.get(
    "/rules", response_model=RulesOut, summary="The rules in force, and those that cannot run (why)"
)
def list_rules(principal: UserDep, runtime: RuntimeDep) -> RulesOut:
    from rengo.soc.detect.runner import load_configured_rules

    require(principal, "soc.rules.read")
    ruleset = load_configured_rules(
        runtime
    )  # cheap after the first call: compiled rules are cached
    return RulesOut(
        rules=[
            RuleOut(
                id=r.id,
                title=r.title,
                level=r.level,
                pack=r.pack,
                techniques=list(r.techniques),
                kind="correlation" if r.is_correlation else "detection",
                path=_pack_path(r.path, runtime),
            )
            for r in ruleset.rules
        ],
        not_converted=[_issue(p, runtime) for p in ruleset.unsupported],
        errors=[_issue(p, runtime) for p in ruleset.problems],
    )


@router.get(
    "/rule-settings",
    response_model=list[RuleSettingOut],
    summary="Rules switched off or re-levelled",
)
def list_rule_settings(principal: UserDep, session: SessionDep) -> list[RuleSettingOut]:
    return [
        RuleSettingOut.model_validate(r) for r in alerts_tuning.rule_settings(session, principal)
    ]


@router.put(
    "/rule-settings/{rule_id}",
    response_model=RuleSettingOut,
    summary="Switch a rule on or off, or change its level, for a ward",
)
def put_rule_setting(
    rule_id: Annotated[str, Path(max_length=64)],
    body: RuleSettingIn,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RuleSettingOut:
    row = alerts_tuning.set_rule(
        session,
        principal,
        rule_id,
        ward=body.ward,
        enabled=body.enabled,
        level=body.level,
        note=body.note,
        now=runtime.clock.now(),
    )
    return RuleSettingOut.model_validate(row)


@router.get(
    "/suppressions",
    response_model=list[SuppressionOut],
    summary="Suppressions (active ones unless all)",
)
def list_suppressions(
    principal: UserDep, session: SessionDep, runtime: RuntimeDep, all: bool = False
) -> list[SuppressionOut]:
    rows = alerts_tuning.suppressions(
        session, principal, active_at=None if all else runtime.clock.now()
    )
    return [SuppressionOut.model_validate(r) for r in rows]


@router.delete(
    "/suppressions/{suppression_id}", response_model=SuppressionOut, summary="End a suppression now"
)
def end_suppression(
    suppression_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> SuppressionOut:
    row = alerts_tuning.end_suppression(session, principal, suppression_id, now=runtime.clock.now())
    return SuppressionOut.model_validate(row)
