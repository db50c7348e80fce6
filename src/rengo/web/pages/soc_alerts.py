"""Pages of the SOC alert queue: the queue with filters, an alert with its events and timeline."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import JST, to_jst
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, allows
from rengo.soc import alerts, alerts_tuning
from rengo.soc.alerts_models import CLOSE_REASONS, STATUSES
from rengo.soc.detect import events
from rengo.soc.schema import LEVELS
from rengo.web import charts
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_, current_language, gettext
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m1", N_("Alert queue"), "/soc/alerts", "soc.alerts.read", order=20)]
LEVEL_LABELS = {
    "informational": N_("informational"),
    "low": N_("low"),
    "medium": N_("medium"),
    "high": N_("high"),
    "critical": N_("critical"),
}
STATUS_LABELS = {"new": N_("new"), "acknowledged": N_("acknowledged"), "closed": N_("closed")}
REASON_LABELS = {
    "true_positive": N_("true positive"),
    "false_positive": N_("false positive"),
    "benign": N_("benign"),
    "duplicate": N_("duplicate"),
    "incident_opened": N_("incident opened"),
}
KIND_LABELS = {
    "sigma": N_("rule"),
    "correlation": N_("correlation"),
    "campaign": N_("campaign"),
    "intel": N_("intel"),
}
VOCABULARY = {
    "levels": LEVELS,
    "statuses": STATUSES,
    "reasons": CLOSE_REASONS,
    "level_labels": LEVEL_LABELS,
    "status_labels": STATUS_LABELS,
    "reason_labels": REASON_LABELS,
    "kind_labels": KIND_LABELS,
}


def _filter(request: Request) -> alerts.AlertFilter:
    qp = request.query_params
    page = qp.get("page") or "1"
    return alerts.AlertFilter(
        ward=qp.get("ward") or None,
        status=qp.get("status") or None,
        min_level=qp.get("min_level") or None,
        technique=qp.get("technique") or None,
        rule=qp.get("rule") or None,
        kind=qp.get("kind") or None,
        q=qp.get("q") or None,
        page=int(page) if page.isdigit() else 1,
        per_page=50,
    )


LEVEL_COLOURS = {
    "informational": "#999999",
    "low": "#56B4E9",
    "medium": "#E69F00",
    "high": "#D55E00",
    "critical": "#000000",
}
VOLUME_DAYS = 14


def volume_chart(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    """Alerts per day and level over the last two weeks: the chart and its table."""
    today = to_jst(now).date()
    days = [today - timedelta(days=i) for i in range(VOLUME_DAYS - 1, -1, -1)]
    since = datetime.combine(days[0], time(), JST)
    counts = alerts.volume_by_day(session, principal, since)
    series = [
        charts.Series(
            level,
            gettext(LEVEL_LABELS[level]),
            LEVEL_COLOURS[level],
            tuple(float(counts.get((d, level), 0)) for d in days),
        )
        for level in LEVELS
        if any(counts.get((d, level)) for d in days)
    ]
    title = gettext("Alerts per day and level, last %(n)s days") % {"n": VOLUME_DAYS}
    svg = charts.stacked_bars(
        [d.strftime("%m/%d") for d in days], series, title=title, language=current_language()
    )
    return {"volume_svg": svg, "volume_days": days, "volume_series": series, "volume_title": title}


@router.get("/soc/alerts", response_class=HTMLResponse)
def queue(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    f = _filter(request)
    page = alerts.search_alerts(session, principal, f)
    audit.record_read(
        session,
        principal,
        "soc.alert.list",
        object_type="alert_list",
        rows=len(page.items),
        client=client_address(request),
    )
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    template = (
        "soc/alerts_results.html" if request.headers.get("hx-request") else "soc/alerts_list.html"
    )
    query.pop("changed", None)
    changed = request.query_params.get("changed") or ""
    chart: dict[str, Any] = (
        {}
        if request.headers.get("hx-request")
        else volume_chart(session, principal, runtime.clock.now())
    )
    context = {
        **chart,
        "page": page,
        "f": f,
        "query": query,
        "changed": int(changed) if changed.isdigit() else None,
        "can_triage": allows(principal, "soc.alerts.triage"),
        **VOCABULARY,
    }
    return render(request, caller, template, context)


@router.get("/soc/alerts/{public_id}", response_class=HTMLResponse)
def detail(
    public_id: str,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    alert = alerts.get_alert(session, principal, public_id)
    event_ids = alerts.matched_event_ids(
        session, principal, public_id, client=client_address(request)
    )
    wards = alert.wards if alert.kind == "campaign" else [alert.tenant]
    records = events.matched_events(runtime, event_ids, wards, alert.first_seen, alert.last_seen)
    line = (
        []
        if alert.kind == "campaign"
        else events.timeline(
            runtime, alert.tenant, alert.host, alert.user_name, alert.first_seen, alert.last_seen
        )
    )
    members = alerts.campaign_members(session, principal, alert) if alert.kind == "campaign" else []
    context = {
        "alert": alert,
        "event_ids": event_ids,
        "records": records,
        "timeline": line,
        "members": members,
        "history": alerts.history(session, principal, alert),
        "can_triage": allows(principal, "soc.alerts.triage", alert.tenant),
        "can_open_incident": allows(principal, "csirt.incidents.write", alert.tenant),
        "can_suppress": allows(principal, "soc.alerts.suppress", alert.tenant)
        and alert.kind != "campaign",
        "default_expiry": (runtime.clock.now() + timedelta(days=7))
        .astimezone(UTC)
        .strftime("%Y-%m-%d"),
        **VOCABULARY,
    }
    return render(request, caller, "soc/alerts_detail.html", context)


def _back(public_id: str) -> RedirectResponse:
    return RedirectResponse(f"/soc/alerts/{public_id}", status_code=303)


@router.post("/soc/alerts/{public_id}/status")
async def post_status(
    public_id: str, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    alerts.set_status(
        session,
        principal,
        public_id,
        str(form.get("status", "")),
        reason=str(form.get("reason", "")),
        note=str(form.get("note", "")),
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _back(public_id)


@router.post("/soc/alerts/{public_id}/assign")
async def post_assign(
    public_id: str, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    alerts.assign(
        session,
        principal,
        public_id,
        str(form.get("assignee", "")),
        now=runtime.clock.now(),
        client=client_address(request),
    )
    return _back(public_id)


BULK_ACTIONS: dict[str, alerts.BulkAction] = {
    "assign": "assign",
    "acknowledge": "acknowledge",
    "close": "close",
}


@router.post("/soc/alerts/bulk")
async def post_bulk(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """The queue's selected alerts assigned, acknowledged or closed together (all or none)."""
    form = await request.form()
    action = BULK_ACTIONS.get(str(form.get("action", "")))
    if action is None:
        problem = Problem(
            "choose one of the {count} bulk actions", "field action", values={"count": 3}
        )
        raise InvalidInput(
            "none of the {n} alerts was changed",
            [problem],
            values={"n": len(form.getlist("alert_ids"))},
        )
    changed = alerts.bulk_triage(
        session,
        principal,
        [str(v) for v in form.getlist("alert_ids")],
        action,
        assignee=str(form.get("assignee") or principal.username or ""),
        reason=str(form.get("reason", "")),
        note=str(form.get("note", "")),
        now=runtime.clock.now(),
        client=client_address(request),
    )
    back = str(form.get("back") or "")
    query = back if back.startswith("?") and "\n" not in back else ""
    separator = "&" if query else "?"
    return RedirectResponse(f"/soc/alerts{query}{separator}changed={len(changed)}", status_code=303)


@router.post("/soc/alerts/{public_id}/suppress")
async def post_suppress(
    public_id: str, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    try:
        day = datetime.strptime(str(form.get("expires_on", "")), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "invalid date", [Problem("a date YYYY-MM-DD", "field expires_on")]
        ) from None
    field = str(form.get("field") or "") or None
    alerts_tuning.suppress(
        session,
        principal,
        reason=str(form.get("reason", "")),
        expires_at=day + timedelta(days=1),
        now=runtime.clock.now(),
        field=field,
        alert_id=public_id,
    )
    return _back(public_id)
