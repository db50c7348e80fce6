"""Reports in Japanese: the incident report (timeline, impact, cause, actions, lessons) and
the monthly report per ward or for the joint centre, as HTML and as PDF (through the
one document pipeline, ``rengo.core.reports``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.clock import JST, to_jst
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, narrow_to_visible
from rengo.core.reports import Rendered, render
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, tenant_name, ward_codes
from rengo.csirt import actions, incidents, indicators, timeline
from rengo.csirt.alerts import AlertSource
from rengo.csirt.metrics import durations, mean, minutes_between, percentile
from rengo.csirt.models import (
    ContainmentAction,
    Incident,
    IncidentAlert,
    IncidentWard,
    TimelineEntry,
)
from rengo.csirt.vocabulary import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CATEGORIES,
    SEVERITIES,
    STATUSES,
    TIMELINE_KINDS,
)

TIMELINE_LIMIT = 1000
LEVEL_ORDER = ("critical", "high", "medium", "low", "informational")
LEVEL_JA = {"critical": "緊急", "high": "高", "medium": "中", "low": "低", "informational": "情報"}


def _jst(value: datetime | None) -> str:
    return to_jst(value).strftime("%Y年%m月%d日 %H:%M") if value else "—"


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    hours, minutes = divmod(round(value), 60)
    return f"{hours}時間{minutes:02d}分" if hours else f"{minutes}分"


def _ward(code: str) -> str:
    try:
        return tenant_name(code, "ja")
    except KeyError:
        return code


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rengo.csirt", "report_templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.filters.update(jst=_jst, minutes=_minutes, ward=_ward)
    env.globals.update(
        action_label=lambda k: ACTION_KINDS[k].ja if k in ACTION_KINDS else k,
        action_status=lambda s: ACTION_STATUSES[s].ja if s in ACTION_STATUSES else s,
        kind_label=lambda k: TIMELINE_KINDS[k].ja if k in TIMELINE_KINDS else k,
    )
    return env


def _render(template: str, context: dict[str, Any], fmt: str, stem: str) -> Rendered:
    return render(_environment(), template, context, fmt, stem)


def incident_report(
    session: Session,
    principal: Principal,
    incident_id: int,
    fmt: str,
    *,
    now: datetime,
    client: str = "",
) -> Rendered:
    incident = incidents.get_incident(session, principal, incident_id)
    wards = incidents.wards_of(session, incident.id)
    total = session.scalar(
        select(func.count()).select_from(
            select(TimelineEntry.id).where(TimelineEntry.incident_id == incident.id).subquery()
        )
    )
    entries = timeline.entries(session, incident.id, limit=TIMELINE_LIMIT)
    asset_rows = list(
        session.scalars(
            select(Asset).where(Asset.id.in_(incidents.asset_ids_of(session, incident.id)))
        )
    )
    outage_hours = None
    if incident.outage_started_at:
        end = incident.outage_ended_at or now
        outage_hours = round((end - incident.outage_started_at).total_seconds() / 3600, 1)
    context = {
        "i": incident,
        "d": durations(incident),
        "ward_names": [_ward(w) for w in wards],
        "category": CATEGORIES[incident.category].ja,
        "severity": SEVERITIES[incident.severity].ja,
        "status": STATUSES[incident.status].ja,
        "assets": asset_rows,
        "outage_hours": outage_hours,
        "actions": actions.actions_of(session, incident.id),
        "timeline": entries,
        "timeline_total": total,
        "timeline_truncated": (total or 0) > len(entries),
        "indicators": [x for x in indicators.listed(session, incident.id) if not x.internal],
        "generated_at": _jst(now),
        "generated_by": principal.label,
        "classification": "取扱注意",
    }
    audit.record(
        session,
        principal,
        "csirt.report.incident",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
        detail={"format": fmt},
    )
    return _render("incident.html", context, fmt, f"incident-report-{incident.ref}")


# -- monthly --------------------------------------------------------------------------


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput("invalid month", [Problem("a month like 2026-04", "field month")])
    start = datetime(year, month, 1, tzinfo=JST)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=JST)
    return start, end


def monthly_figures(
    session: Session,
    principal: Principal,
    ward: TenantCode | None,
    year: int,
    month: int,
    alert_source: AlertSource,
) -> dict[str, Any]:
    if ward is not None and ward != JOINT and ward not in ward_codes():
        raise InvalidInput(
            "unknown ward",
            [Problem("{ward!r} is not a ward code", "field ward", values={"ward": ward})],
        )
    tenants = narrow_to_visible(principal, "csirt.incidents.read", ward if ward != JOINT else None)
    start, end = month_bounds(year, month)
    stmt = select(Incident).where(Incident.merged_into_id.is_(None), Incident.origin != "exercise")
    if tenants is not None:
        stmt = (
            stmt.join(IncidentWard, IncidentWard.incident_id == Incident.id)
            .where(
                IncidentWard.ward.in_(sorted(tenants)),
                IncidentWard.detected_at >= start,
                IncidentWard.detected_at < end,
            )
            .distinct()
        )
    else:
        stmt = stmt.where(Incident.detected_at >= start, Incident.detected_at < end)
    rows = list(session.scalars(stmt.order_by(Incident.detected_at)))
    ids = [r.id for r in rows]
    mttc = [
        m
        for r in rows
        if (m := minutes_between(r.detected_at, r.contained_at)) is not None
        and r.contained_at
        and r.contained_at < end
    ]
    alert_stmt = (
        select(func.count())
        .select_from(IncidentAlert)
        .where(IncidentAlert.detected_at >= start, IncidentAlert.detected_at < end)
    )
    if tenants is not None:
        alert_stmt = alert_stmt.where(IncidentAlert.ward.in_(sorted(tenants)))
    soc = alert_source.count(session, sorted(tenants) if tenants is not None else None, start, end)
    action_counts = (
        Counter(
            session.scalars(
                select(ContainmentAction.status).where(ContainmentAction.incident_id.in_(ids))
            )
        )
        if ids
        else Counter()
    )
    categories = Counter(r.category for r in rows)
    return {
        "incidents": len(rows),
        "major": sum(1 for r in rows if r.major and r.major_at and r.major_at < end),
        "alerts_linked": session.scalar(alert_stmt) or 0,
        "contained": len(mttc),
        "alerts": soc.total if soc else None,
        "campaigns": soc.campaigns if soc else None,
        "alerts_by_level": [
            (LEVEL_JA.get(k, k), soc.by_level[k])
            for k in LEVEL_ORDER
            if soc and soc.by_level.get(k)
        ],
        "mttc_mean": mean(mttc),
        "mttc_p90": percentile(mttc, 0.9),
        "actions_ok": action_counts.get("succeeded", 0),
        "actions_failed": action_counts.get("failed", 0),
        "open": sum(1 for r in rows if r.closed_at is None or r.closed_at >= end),
        "by_category": [(CATEGORIES[c].ja, n) for c, n in categories.most_common()],
        "rows": [
            {
                "ref": r.ref,
                "title": r.title,
                "major": r.major,
                "severity": SEVERITIES[r.severity].ja,
                "detected_at": r.detected_at,
                "status": STATUSES[r.status].ja,
                "mttc": minutes_between(r.detected_at, r.contained_at),
            }
            for r in rows
        ],
    }


def monthly_report(
    session: Session,
    principal: Principal,
    ward: TenantCode | None,
    year: int,
    month: int,
    fmt: str,
    *,
    alert_source: AlertSource,
    settings: Settings,
    now: datetime,
    client: str = "",
) -> Rendered:
    figures = monthly_figures(session, principal, ward, year, month, alert_source)
    scope = (
        ward if ward and ward != JOINT else (principal.tenant if not principal.is_joint else JOINT)
    )
    context = {
        "m": figures,
        "rows": figures["rows"],
        "scope_name": _ward(scope),
        "month_label": f"{year}年{month}月",
        "target_hours": f"{settings.policy.containment_target_hours:g}",
        "generated_at": _jst(now),
        "generated_by": principal.label,
        "classification": "取扱注意",
    }
    audit.record(
        session,
        principal,
        "csirt.report.monthly",
        object_type="monthly_report",
        object_id=f"{scope}:{year}-{month:02d}",
        object_tenant=scope if scope != JOINT else None,
        client=client,
        detail={"format": fmt},
    )
    return _render("monthly.html", context, fmt, f"monthly-{scope}-{year}-{month:02d}")
