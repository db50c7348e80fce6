"""KGI (baseline vs actual + forecast), forecasts to month and fiscal-year end, budgets."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import TypedDict

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import SYSTEM, Principal, allows, require
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.finops import plan
from rengo.finops.explorer import Explorer
from rengo.finops.forecast import fiscal_year_of
from rengo.finops.projections import cost_series
from rengo.finops.settings import FinopsSettings
from rengo.web import charts
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import _, current_language
from rengo.web.pages.finops.common import (
    back,
    explorer_for,
    flash_of,
    last_day,
    parse_amount,
    system_label,
    ward_label,
)
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


def _planning(
    runtime: Runtime, session: Session, principal: Principal
) -> tuple[Explorer, date, FinopsSettings]:
    """What the planning pages start from (for a reader of costs): the cost explorer, the
    last day with costs and the FinOps settings."""
    require(principal, "finops.costs.read")
    ex = explorer_for(runtime, session)
    return ex, last_day(ex, runtime.clock.now().date()), runtime.settings.section(FinopsSettings)


def warm_projections(runtime: Runtime) -> None:
    """Read the shared series and project every ward and system once, as the KGI and
    forecasts pages of the joint centre will ask: the first visitor after a start (or after
    an ingest) waits for none of it."""
    with runtime.db.session() as session:
        ex = explorer_for(runtime, session)
        s = runtime.settings.section(FinopsSettings)
        series = cost_series(ex, last_day(ex, runtime.clock.now().date()), s)
        plan.kgi(session, SYSTEM, series)
        plan.outlook(session, SYSTEM, series)


@asynccontextmanager
async def _warm(app: FastAPI) -> AsyncIterator[None]:
    runtime = app.state.runtime
    if runtime.settings.web.warm_targets:  # the same switch as the targets' warm-up
        threading.Thread(
            target=warm_projections, args=(runtime,), name="warm-finops", daemon=True
        ).start()
    yield


LIFESPAN = _warm


@router.get("/finops/kgi", response_class=HTMLResponse)
def kgi_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    ex, as_of, s = _planning(runtime, session, principal)
    rows = plan.kgi(session, principal, cost_series(ex, as_of, s))
    cap = runtime.settings.policy.operating_cost_growth_cap_pct
    totals = [r for r in rows if not r.business_system and r.growth_pct is not None]
    svg = charts.bar_rows(
        [
            charts.Bar(ward_label(r.ward), r.growth_pct or 0.0, over=(r.growth_pct or 0.0) > cap)
            for r in totals
        ],
        title=_("Growth of each ward's operating cost against the cap"),
        language=current_language(),
        unit="%",
        reference=cap,
        reference_label=_("cap %(cap)s %%") % {"cap": f"{cap:+g}"},
    )
    return render(
        request,
        caller,
        "finops/kgi.html",
        {
            "rows": rows,
            "svg": svg,
            "whole_bill": plan.WHOLE_BILL,
            "as_of": as_of,
            "cap": cap,
            "system_label": system_label,
            "ward_label": ward_label,
            "fy": fiscal_year_of(as_of, s.fiscal_year_start_month),
            "baselines": plan.baselines(session, principal),
            "business_systems": BUSINESS_SYSTEMS,
            "can_write": allows(principal, "finops.plan.write"),
            "flash": flash_of(request),
            "errors": [],
        },
    )


@router.get("/finops/forecasts", response_class=HTMLResponse)
def forecasts_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    ex, as_of, s = _planning(runtime, session, principal)
    fy = fiscal_year_of(as_of, s.fiscal_year_start_month)
    outlooks = plan.outlook(session, principal, cost_series(ex, as_of, s))
    svg = charts.bar_rows(
        [
            charts.Bar(
                ward_label(o.ward),
                o.year.actual,
                extend=o.year.forecast,
                band=(o.year.low, o.year.high),
                mark=o.budget,
                over=o.over_budget,
            )
            for o in outlooks
        ],
        title=_("Fiscal year %(fy)s: actual, forecast and budget per ward") % {"fy": fy},
        language=current_language(),
    )
    return render(
        request,
        caller,
        "finops/forecasts.html",
        {
            "outlooks": outlooks,
            "svg": svg,
            "as_of": as_of,
            "fy": fy,
            "budgets": plan.budgets(session, principal, fy),
            "coverage": s.forecast_interval,
            "business_systems": BUSINESS_SYSTEMS,
            "system_label": system_label,
            "ward_label": ward_label,
            "can_write": allows(principal, "finops.plan.write"),
            "flash": flash_of(request),
        },
    )


class PlanKey(TypedDict):
    ward: TenantCode
    business_system: str
    fiscal_year: int


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A budget or baseline as entered on the forecasts and KGI pages."""

    ward: TenantCode
    business_system: str
    fiscal_year: int
    amount: float
    source: str

    def key(self) -> PlanKey:
        """What a budget or baseline is stored under."""
        return {
            "ward": self.ward,
            "business_system": self.business_system,
            "fiscal_year": self.fiscal_year,
        }


async def _plan_form(request: Request, principal: Principal) -> PlanEntry:
    form = await request.form()
    ward = str(form.get("ward") or principal.tenant)
    fy_text = str(form.get("fiscal_year") or "")
    amount = parse_amount(form.get("amount"))
    problems = []
    if not fy_text.isdigit() or not 2000 <= int(fy_text) <= 2100:
        problems.append(Problem("a fiscal year such as 2025", "fiscal_year"))
    if amount is None:
        problems.append(Problem("a number", "amount"))
    if problems or amount is None:
        raise InvalidInput("invalid entry", problems)
    return PlanEntry(
        ward,
        str(form.get("business_system") or ""),
        int(fy_text),
        amount,
        str(form.get("source") or ""),
    )


async def _save_plan(
    request: Request,
    principal: Principal,
    runtime: RuntimeDep,
    save: Callable[[Session, PlanEntry, str], object],
    page: str,
) -> Response:
    """Store the entry of the form (``save(session, entry, client)``), then back to ``page``."""
    entry = await _plan_form(request, principal)
    with runtime.db.session() as session:
        save(session, entry, client_address(request))
    return back(page, done="saved")


@router.post("/finops/budgets", response_model=None)
async def save_budget(request: Request, principal: UserDep, runtime: RuntimeDep) -> Response:
    def save(session: Session, entry: PlanEntry, client: str) -> object:
        return plan.set_budget(
            session, principal, **entry.key(), amount=entry.amount, client=client
        )

    return await _save_plan(request, principal, runtime, save, "/finops/forecasts")


@router.post("/finops/baselines", response_model=None)
async def save_baseline(request: Request, principal: UserDep, runtime: RuntimeDep) -> Response:
    def save(session: Session, entry: PlanEntry, client: str) -> object:
        return plan.set_baseline(
            session,
            principal,
            **entry.key(),
            annual_cost=entry.amount,
            source=entry.source,
            client=client,
        )

    return await _save_plan(request, principal, runtime, save, "/finops/kgi")
