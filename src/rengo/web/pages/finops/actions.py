"""What staff act on: cost anomalies and budget alerts, savings recommendations."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy import func, select

from rengo.core.errors import NotFound
from rengo.core.permissions import allows, narrow_to_visible, require
from rengo.finops import recommend, scan
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.models import Recommendation, RecommendationEvent
from rengo.web import charts
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import _, current_language
from rengo.web.pages.finops.common import (
    ALERT_ACTIONS,
    ALERT_KINDS,
    ALERT_STATUS,
    REC_ACTIONS,
    REC_KINDS,
    REC_STATUS,
    STATUS_SYMBOL,
    back,
    explorer_for,
    flash_of,
    last_day,
    parse_date,
    rec_title,
    system_label,
    ward_label,
)
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
LIMIT = 500


def _ward_filter(request: Request) -> str | None:
    return request.query_params.get("ward") or None


CHART_BEFORE, CHART_AFTER = 60, 14
"""Days of the charted series before and after the chosen alert's day."""


def anomaly_chart(
    ex: Explorer, alerts: list[Any], chosen: Any, last: date
) -> tuple[Markup, list[tuple[str, float, bool]]]:
    """The daily cost of the chosen alert's series around its day, the days of every listed
    alert of that series marked; and the same as (day, cost, marked) rows for the table."""
    start = chosen.day - timedelta(days=CHART_BEFORE)
    end = max(start, min(chosen.day + timedelta(days=CHART_AFTER), last))
    filters = {"service": [chosen.service]} if chosen.service else {}
    if chosen.business_system:
        filters["business_system"] = [chosen.business_system]
    q = CostQuery(start, end, [], "day", filters=filters, wards=frozenset({chosen.ward}))
    cost = {r.period: r.cost for r in ex.costs(q)}
    days = [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
    same = {
        a.day.isoformat()
        for a in alerts
        if (a.ward, a.business_system, a.service)
        == (chosen.ward, chosen.business_system, chosen.service)
    }
    system = system_label(chosen.business_system) if chosen.business_system else ""
    label = " · ".join(x for x in (ward_label(chosen.ward), system, chosen.service) if x)
    series = charts.Series("s", label, charts.PALETTE[0], tuple(cost.get(d, 0.0) for d in days))
    svg = charts.lines(
        days,
        [series],
        title=_("Daily cost of %(series)s, anomalies circled") % {"series": label},
        language=current_language(),
        marks={"s": {i for i, d in enumerate(days) if d in same}},
    )
    return svg, [(d, cost.get(d, 0.0), d in same) for d in days]


@router.get("/finops/anomalies", response_class=HTMLResponse)
def anomalies_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    status = request.query_params.get("status", "open")
    kind = request.query_params.get("kind", "")
    alerts = scan.list_alerts(
        session,
        principal,
        ward=_ward_filter(request),
        status=status if status in scan.ALERT_STATUSES else None,
        kind=kind if kind in scan.ALERT_KINDS else None,
    )
    chart_id = request.query_params.get("chart", "")
    dated = [a for a in alerts if a.kind != "budget"]
    chosen = next((a for a in dated if str(a.id) == chart_id), dated[0] if dated else None)
    svg, points = Markup(""), list[tuple[str, float, bool]]()
    if chosen is not None:
        ex = explorer_for(runtime, session)
        svg, points = anomaly_chart(ex, dated, chosen, last_day(ex, runtime.clock.now().date()))
    return render(
        request,
        caller,
        "finops/anomalies.html",
        {
            "chosen": chosen,
            "svg": svg,
            "points": points,
            "query": {k: v for k, v in request.query_params.items() if k != "chart"},
            "alerts": alerts,
            "status": status,
            "kind": kind,
            "statuses": ALERT_STATUS,
            "kinds": ALERT_KINDS,
            "actions": ALERT_ACTIONS,
            "symbols": STATUS_SYMBOL,
            "ward": request.query_params.get("ward", ""),
            "ward_label": ward_label,
            "rec_title": rec_title,
            "system_label": system_label,
            "flash": flash_of(request),
            "can_update": allows(principal, "finops.alerts.update"),
        },
    )


@router.post("/finops/anomalies/{alert_id}/status")
async def alert_status(
    alert_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    form = await request.form()
    scan.change_alert(
        session, principal, alert_id, str(form.get("status") or ""), client_address(request)
    )
    return back("/finops/anomalies", done="status", status=str(form.get("back_status") or ""))


@router.get("/finops/recommendations", response_class=HTMLResponse)
def recommendations_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    wards = narrow_to_visible(principal, "finops.costs.read", _ward_filter(request))
    status = request.query_params.get("status", "")
    kind = request.query_params.get("kind", "")
    stmt = select(Recommendation).order_by(
        Recommendation.estimated_monthly_saving.desc(), Recommendation.id
    )
    counts = select(
        Recommendation.status,
        func.count(),
        func.sum(Recommendation.estimated_monthly_saving),
        func.sum(Recommendation.realised_monthly_saving),
    ).group_by(Recommendation.status)
    if wards is not None:
        stmt = stmt.where(Recommendation.ward.in_(wards))
        counts = counts.where(Recommendation.ward.in_(wards))
    if status in REC_STATUS:
        stmt = stmt.where(Recommendation.status == status)
    if kind in REC_KINDS:
        stmt = stmt.where(Recommendation.kind == kind)
    summary = {s: (n, est or 0.0, real or 0.0) for s, n, est, real in session.execute(counts)}
    return render(
        request,
        caller,
        "finops/recommendations.html",
        {
            "recs": list(session.scalars(stmt.limit(LIMIT))),
            "status": status,
            "kind": kind,
            "statuses": REC_STATUS,
            "kinds": REC_KINDS,
            "symbols": STATUS_SYMBOL,
            "summary": summary,
            "transitions": recommend.TRANSITIONS,
            "ward": request.query_params.get("ward", ""),
            "ward_label": ward_label,
            "rec_title": rec_title,
            "system_label": system_label,
            "flash": flash_of(request),
            "today": runtime.clock.now().date(),
            "can_update": allows(principal, "finops.recommendations.update"),
        },
    )


@router.get("/finops/recommendations/{rec_id}", response_class=HTMLResponse)
def recommendation_page(
    rec_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    rec = session.get(Recommendation, rec_id)
    if rec is None:
        raise NotFound("recommendation {rec_id} not found", values={"rec_id": rec_id})
    require(principal, "finops.costs.read", rec.ward, hide=True)
    events = session.scalars(
        select(RecommendationEvent)
        .where(RecommendationEvent.recommendation_id == rec.id)
        .order_by(RecommendationEvent.at, RecommendationEvent.id)
    ).all()
    return render(
        request,
        caller,
        "finops/recommendation.html",
        {
            "r": rec,
            "events": events,
            "statuses": REC_STATUS,
            "kinds": REC_KINDS,
            "symbols": STATUS_SYMBOL,
            "transitions": recommend.TRANSITIONS,
            "actions": REC_ACTIONS,
            "ward_label": ward_label,
            "rec_title": rec_title,
            "system_label": system_label,
            "flash": flash_of(request),
            "today": runtime.clock.now().date(),
            "can_update": allows(principal, "finops.recommendations.update", rec.ward),
        },
    )


@router.post("/finops/recommendations/{rec_id}/status")
async def recommendation_status(
    rec_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RedirectResponse:
    form = await request.form()
    done_on = form.get("done_on")
    recommend.change_status(
        session,
        principal,
        rec_id,
        str(form.get("status") or ""),
        done_on=parse_date(str(done_on), runtime.clock.now().date()) if done_on else None,
        note=str(form.get("note") or "")[:2000],
        client=client_address(request),
    )
    return back(f"/finops/recommendations/{rec_id}", done="status")
