"""The scans: anomalies over every daily series, forecast-over-budget, savings; and the alerts.

Alerts are rows of ``finops_alerts`` with a status (open → acknowledged → resolved) and
``notified_at``: the web layer (or any notifier) takes ``pending_notifications`` and
marks them sent with ``mark_notified`` — finops itself sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.finops import recommend
from rengo.finops.anomaly import Detection, Thresholds, detect
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.forecast import fiscal_year_of, project_fiscal_year
from rengo.finops.models import Alert, Budget
from rengo.finops.settings import FinopsSettings

AlertStatus = Literal["open", "acknowledged", "resolved"]
AlertKind = Literal["spike", "level_shift", "budget"]
ALERT_STATUSES: tuple[str, ...] = get_args(AlertStatus)
ALERT_KINDS: tuple[str, ...] = get_args(AlertKind)
ALERT_LIST_LIMIT = 500
"""The most alerts one listing returns (the newest first), for the page and the API alike."""


@dataclass(slots=True)
class ScanResult:
    series: int = 0
    detections: int = 0
    new_alerts: int = 0
    budgets_over: int = 0
    recommendations_created: int = 0
    recommendations_updated: int = 0
    realised_measured: int = 0


def thresholds(s: FinopsSettings) -> Thresholds:
    return Thresholds(
        s.anomaly_floor,
        s.anomaly_relative,
        s.anomaly_robust_z,
        s.anomaly_min_history_days,
        s.level_shift_days,
    )


def daily_series(
    explorer: Explorer, start: date, end: date
) -> dict[tuple[str, str, str], dict[date, float]]:
    """Daily allocated cost per (ward, business system, service)."""
    q = CostQuery(start, end, ["ward", "business_system", "service"], "day")
    inner = explorer.allocated_sql(
        q, {"x_EffectiveCostReporting", "x_BusinessSystem", "ServiceName"}
    )
    table = (
        explorer.cursor()
        .execute(
            "SELECT __ward AS ward, coalesce(x_BusinessSystem, '') AS system, ServiceName AS "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            "service, "
            f"x_ChargeDate AS day, sum(x_EffectiveCostReporting * __w) AS cost FROM ({inner}) "
            "WHERE __ward IS NOT NULL GROUP BY ALL ORDER BY 1, 2, 3, 4"
        )
        .fetchall()
    )
    out: dict[tuple[str, str, str], dict[date, float]] = {}
    for ward, system, service, day, cost in table:
        out.setdefault((ward, system, service or ""), {})[day] = float(cost or 0.0)
    return out


def scan_anomalies(
    session: Session, explorer: Explorer, as_of: date, s: FinopsSettings, *, days: int = 400
) -> tuple[int, list[tuple[tuple[str, str, str], Detection]], int]:
    """Score every series up to D−latency; store new alerts. Returns (series, detections, new)."""
    if explorer.lake.is_empty():
        return 0, [], 0
    start = as_of - timedelta(days=days)
    series = daily_series(explorer, start, as_of)
    t = thresholds(s)
    cutoff = as_of - timedelta(days=s.anomaly_latency_days)
    found: list[tuple[tuple[str, str, str], Detection]] = []
    for key, costs in series.items():
        first = min(costs)
        span = [first + timedelta(days=i) for i in range((as_of - first).days + 1)]
        values = np.array([costs.get(d, 0.0) for d in span])
        score_until = (cutoff - first).days + 1
        for det in detect(values, span, t, score_until=score_until):
            found.append((key, det))
    existing = set(session.scalars(select(Alert.key)))
    new = 0
    for (ward, system, service), det in found:
        alert_key = f"{det.kind}:{ward}:{system}:{service}:{det.day}"[:256]
        if alert_key in existing:
            continue
        existing.add(alert_key)
        session.add(
            Alert(
                key=alert_key,
                kind=det.kind,
                ward=ward,
                business_system=system,
                service=service,
                day=det.day,
                actual=round(det.actual, 2),
                expected=round(det.expected, 2),
                message=(
                    f"{service}: {det.actual:,.0f} against an expected {det.expected:,.0f} "
                    f"({'new level' if det.kind == 'level_shift' else 'spike'})"
                ),
            )
        )
        new += 1
    session.flush()
    return len(series), found, new


def budget_projection(
    explorer: Explorer, budget: Budget, as_of: date, s: FinopsSettings
) -> tuple[float, float, float]:
    """(actual, forecast, high) of the budget's ward/system for its fiscal year."""
    fy_start = date(budget.fiscal_year, s.fiscal_year_start_month, 1)
    filters = {"ward": [budget.ward]}
    if budget.business_system:
        filters["business_system"] = [budget.business_system]
    history_start = min(fy_start, as_of - timedelta(days=200))
    rows = explorer.costs(CostQuery(history_start, as_of, [], "day", "effective", filters))
    costs = {date.fromisoformat(r.period): r.cost for r in rows}
    p = project_fiscal_year(
        costs, as_of, start_month=s.fiscal_year_start_month, coverage=s.forecast_interval
    )
    return p.actual, p.forecast, p.high


def scan_budgets(session: Session, explorer: Explorer, as_of: date, s: FinopsSettings) -> int:
    fy = fiscal_year_of(as_of, s.fiscal_year_start_month)
    over = 0
    existing = set(session.scalars(select(Alert.key)))
    for budget in session.scalars(select(Budget).where(Budget.fiscal_year == fy)):
        actual, forecast, _high = budget_projection(explorer, budget, as_of, s)
        if forecast <= budget.amount:
            continue
        over += 1
        key = f"budget:{budget.id}:{as_of:%Y-%m}"
        if key in existing:
            continue
        session.add(
            Alert(
                key=key,
                kind="budget",
                ward=budget.ward,
                business_system=budget.business_system,
                day=as_of,
                actual=round(forecast, 2),
                expected=round(budget.amount, 2),
                message=(
                    f"forecast {forecast:,.0f} exceeds the budget {budget.amount:,.0f} for FY{fy}"
                ),
                detail={"actual_to_date": round(actual, 2), "fiscal_year": fy},
            )
        )
    session.flush()
    return over


def run(session: Session, explorer: Explorer, as_of: date, s: FinopsSettings) -> ScanResult:
    result = ScanResult()
    result.series, found, result.new_alerts = scan_anomalies(session, explorer, as_of, s)
    result.detections = len(found)
    result.budgets_over = scan_budgets(session, explorer, as_of, s)
    created, updated = recommend.store(session, recommend.find(explorer, as_of, s))
    result.recommendations_created, result.recommendations_updated = created, updated
    result.realised_measured = recommend.measure_realised(session, explorer, as_of)
    return result


def pending_notifications(session: Session) -> list[Alert]:
    """Open alerts not yet notified — for the platform's notifier to send."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.notified_at.is_(None), Alert.status == "open")
            .order_by(Alert.id)
        )
    )


def mark_notified(session: Session, alert_ids: list[int]) -> None:
    now = utcnow()
    for alert in session.scalars(select(Alert).where(Alert.id.in_(alert_ids))):
        alert.notified_at = now
    session.flush()


def list_alerts(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[Alert]:
    """The alerts of the wards the principal may read (of one ``ward`` if given), newest first."""
    for value, allowed, location in (
        (status, ALERT_STATUSES, "status"),
        (kind, ALERT_KINDS, "kind"),
    ):
        if value is not None and value not in allowed:
            raise InvalidInput(
                f"unknown {location}", [Problem(f"one of {', '.join(allowed)}", location)]
            )
    wards = narrow_to_visible(principal, "finops.costs.read", ward)
    stmt = select(Alert).order_by(Alert.day.desc(), Alert.id.desc())
    if wards is not None:
        stmt = stmt.where(Alert.ward.in_(wards))
    if status is not None:
        stmt = stmt.where(Alert.status == status)
    if kind is not None:
        stmt = stmt.where(Alert.kind == kind)
    return list(session.scalars(stmt.limit(ALERT_LIST_LIMIT)))


def change_alert(
    session: Session, principal: Principal, alert_id: int, status: str, client: str = ""
) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    require(principal, "finops.costs.read", alert.ward, hide=True)
    require(principal, "finops.alerts.update", alert.ward)
    if status not in ALERT_STATUSES:
        raise InvalidInput(
            "unknown status", [Problem(f"one of {', '.join(ALERT_STATUSES)}", "status")]
        )
    audit.record(
        session,
        principal,
        "finops.alert.status",
        object_type="finops_alert",
        object_id=alert.id,
        object_tenant=alert.ward,
        detail={"from": alert.status, "to": status},
        client=client,
    )
    alert.status = status
    session.flush()
    return alert
