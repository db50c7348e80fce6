"""Baselines and budgets a ward enters, and what the lake says against them.

The KGI compares each ward's (and business system's) pre-migration annual operating
cost with this fiscal year's actual cost plus its forecast; budgets compare the same
forecast with the amount a ward set for the year. Both read one shared computation
(``rengo.finops.projections``) so that the KGI view, the budget view and the target agree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import is_tenant, ward_codes
from rengo.finops.forecast import Projection, fiscal_year_of
from rengo.finops.models import Baseline, Budget
from rengo.finops.projections import CostSeries

WHOLE_BILL = "*"
"""The business system of a KGI row that holds the ward's whole cloud bill (no baseline)."""


def _check_scope(ward: TenantCode, business_system: str, amount: float, where: str) -> None:
    problems = []
    if ward not in ward_codes():
        problems.append(Problem("unknown ward {ward!r}", "ward", values={"ward": ward}))
    if business_system and business_system not in BUSINESS_SYSTEMS:
        problems.append(
            Problem(
                "unknown business system {business_system!r}",
                "business_system",
                values={"business_system": business_system},
            )
        )
    if not amount >= 0:
        problems.append(Problem("a non-negative amount", where))
    if problems:
        raise InvalidInput("invalid entry", problems)


def set_budget(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode,
    business_system: str,
    fiscal_year: int,
    amount: float,
    client: str = "",
) -> Budget:
    """Create or change the budget of a ward (or one of its systems) for a fiscal year."""
    require(principal, "finops.plan.write", ward)
    _check_scope(ward, business_system, amount, "amount")
    row = session.scalar(
        select(Budget).where(
            Budget.ward == ward,
            Budget.business_system == business_system,
            Budget.fiscal_year == fiscal_year,
        )
    )
    before = row.amount if row else None
    if row is None:
        row = Budget(ward=ward, business_system=business_system, fiscal_year=fiscal_year)
        session.add(row)
    row.amount, row.updated_by = float(amount), principal.label
    session.flush()
    audit.record(
        session,
        principal,
        "finops.budget.set",
        object_type="finops_budget",
        object_id=row.id,
        object_tenant=ward,
        detail={"from": before, "to": amount, "fiscal_year": fiscal_year},
        client=client,
    )
    return row


def set_baseline(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode,
    business_system: str,
    fiscal_year: int,
    annual_cost: float,
    source: str = "",
    client: str = "",
) -> Baseline:
    """Create or change the pre-migration annual operating cost of a ward's system."""
    require(principal, "finops.plan.write", ward)
    _check_scope(ward, business_system, annual_cost, "annual_cost")
    row = session.scalar(
        select(Baseline).where(Baseline.ward == ward, Baseline.business_system == business_system)
    )
    before = row.annual_cost if row else None
    if row is None:
        row = Baseline(ward=ward, business_system=business_system)
        session.add(row)
    row.fiscal_year, row.annual_cost = fiscal_year, float(annual_cost)
    row.source, row.updated_by = source[:200], principal.label
    session.flush()
    audit.record(
        session,
        principal,
        "finops.baseline.set",
        object_type="finops_baseline",
        object_id=row.id,
        object_tenant=ward,
        detail={"from": before, "to": annual_cost},
        client=client,
    )
    return row


def budgets(session: Session, principal: Principal, fiscal_year: int) -> list[Budget]:
    wards = narrow_to_visible(principal, "finops.costs.read", None)
    stmt = select(Budget).where(Budget.fiscal_year == fiscal_year)
    if wards is not None:
        stmt = stmt.where(Budget.ward.in_(wards))
    return list(session.scalars(stmt.order_by(Budget.ward, Budget.business_system)))


def baselines(session: Session, principal: Principal) -> list[Baseline]:
    wards = narrow_to_visible(principal, "finops.costs.read", None)
    stmt = select(Baseline)
    if wards is not None:
        stmt = stmt.where(Baseline.ward.in_(wards))
    return list(session.scalars(stmt.order_by(Baseline.ward, Baseline.business_system)))


@dataclass(frozen=True, slots=True)
class KgiRow:
    ward: TenantCode
    business_system: str
    """Empty: the ward as a whole (all systems with a baseline, or a whole-ward baseline)."""
    baseline: float
    projection: Projection

    @property
    def growth_pct(self) -> float | None:
        if not self.baseline:
            return None
        return round(100.0 * (self.projection.forecast - self.baseline) / self.baseline, 1)


def _visible(principal: Principal, series: CostSeries) -> list[str]:
    wards = narrow_to_visible(principal, "finops.costs.read", None)
    return [w for w in series.wards() if is_tenant(w) and (wards is None or w in wards)]


def kgi(session: Session, principal: Principal, series: CostSeries) -> list[KgiRow]:
    """Baseline against this fiscal year's actual + forecast, per ward and per system.

    After each ward's rows comes its whole cloud bill (no baseline: the figure of the
    forecasts page), so that the two pages can be read side by side."""
    rows = baselines(session, principal)  # of the wards the asker may see
    if not rows or not series.cells:
        return []
    out: list[KgiRow] = []
    per_ward: dict[str, list[Baseline]] = defaultdict(list)
    for b in rows:
        per_ward[b.ward].append(b)
    for ward, items in sorted(per_ward.items()):
        whole = [b for b in items if not b.business_system]
        systems = [b for b in items if b.business_system]
        for b in systems:
            p = series.year(ward, systems=[b.business_system])
            out.append(KgiRow(ward, b.business_system, b.annual_cost, p))
        if whole:
            out.append(KgiRow(ward, "", whole[0].annual_cost, series.year(ward)))
        else:
            chosen = [b.business_system for b in systems]
            base = sum(b.annual_cost for b in systems)
            out.append(KgiRow(ward, "", base, series.year(ward, systems=chosen)))
            out.append(KgiRow(ward, WHOLE_BILL, 0.0, series.year(ward)))
    return out


@dataclass(frozen=True, slots=True)
class Outlook:
    """Month-end and fiscal-year-end forecasts of a ward (or all), with its budget."""

    ward: TenantCode
    month: Projection
    year: Projection
    budget: float | None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.year.forecast > self.budget


def outlook(session: Session, principal: Principal, series: CostSeries) -> list[Outlook]:
    """Forecasts to month end and fiscal year end per visible ward, beside the ward's budget."""
    fy = fiscal_year_of(series.as_of, series.start_month)
    budget = {b.ward: b.amount for b in budgets(session, principal, fy) if not b.business_system}
    return [
        Outlook(ward, series.month(ward), series.year(ward), budget.get(ward))
        for ward in _visible(principal, series)
    ]
