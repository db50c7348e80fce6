"""Budgets and settlements imported from the wards' finance systems, and the savings made
outside rengo: the inputs of the operating-cost KGI, the security cost per resident and
the cloud optimisation KPI."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import allows, require
from rengo.finops import budget_import, optimisation
from rengo.finops.operating_cost import allocate
from rengo.web.api.finops_budget import SavingIn
from rengo.web.bodies import spreadsheet_upload
from rengo.web.deps import CallerDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_message
from rengo.web.i18n import N_, _
from rengo.web.pages.finops.common import back, flash_of, system_label
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
LABELS = {
    "budget": N_("Budget"),
    "settlement": N_("Settlement"),
    "current": N_("Current systems (before migration)"),
    "standard": N_("Standard systems (after migration)"),
    "security": N_("Security measures"),
    "licence": N_("Licences"),
    "maintenance": N_("Maintenance"),
    "operation": N_("Operation contracts"),
    "network": N_("Network (LGWAN, lines)"),
    "vendor": N_("Application vendors' fees"),
    "cloud": N_("Cloud usage"),
    "other": N_("Other"),
    "reserved_capacity": N_("Reserved capacity bought directly"),
    "contract": N_("Contract renegotiated"),
}


def _context(session: Any, principal: Any, problems: list[Problem], message: str) -> dict[str, Any]:
    lines = budget_import.budget_lines(session, principal)
    totals: dict[tuple[str, int, str, str], float] = defaultdict(float)
    for x in lines:
        totals[(x.ward, x.fiscal_year, x.scope, x.stage)] += x.amount
    # Each (ward, year, stage, scope) allocated to the 20 standard business systems, summed
    # over the wards shown, per fiscal year and scope (settlement before budget, as the
    # targets read them).
    groups: dict[tuple[str, int, str, str], list[Any]] = defaultdict(list)
    for x in lines:
        if x.scope != "security":
            groups[(x.ward, x.fiscal_year, x.scope, x.stage)].append(x)
    allocated: dict[tuple[int, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (ward, fy, scope, stage), items in groups.items():
        if stage == "budget" and (ward, fy, scope, "settlement") in groups:
            continue
        for system, yen in allocate(items).items():
            allocated[(fy, scope)][system] += yen
    return {
        "allocated": sorted(allocated.items()),
        "totals": sorted(totals.items()),
        "lines": lines[:500],
        "more": max(0, len(lines) - 500),
        "savings": optimisation.external_savings(session, principal),
        "labels": LABELS,
        "system_label": system_label,
        "can_write": allows(principal, "finops.plan.write"),
        "problems": problems,
        "message": message,
    }


@router.get("/finops/budget", response_class=HTMLResponse)
def budget_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "finops.costs.read")
    ctx = _context(session, principal, [], "")
    return render(request, caller, "finops/budget.html", {**ctx, "flash": flash_of(request)})


@router.post("/finops/budget/import", response_class=HTMLResponse)
async def budget_upload(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "finops.plan.write")
    form = await request.form()
    problems: list[Problem] = []
    message = flash = ""
    try:
        content, filename = await spreadsheet_upload(form)
        result = budget_import.import_budget(
            session,
            principal,
            content,
            filename=filename,
            client=client_address(request),
        )
        session.commit()  # durable before it is acknowledged
        flash = _("%(n)s budget lines stored; %(r)s earlier lines replaced.") % {
            "n": result.rows,
            "r": result.replaced,
        }
    except InvalidInput as error:
        session.rollback()
        problems, message = error.problems, error_message(error)
    ctx = _context(session, principal, problems, message)
    return render(
        request, caller, "finops/budget.html", {**ctx, "flash": flash}, 422 if problems else 200
    )


@router.post("/finops/savings")
async def saving_add(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    values.setdefault("ward", principal.tenant)
    try:
        body = SavingIn.model_validate(values)
        optimisation.record_saving(
            session,
            principal,
            ward=body.ward,
            kind=body.kind,
            realised_on=body.realised_on,
            annual_saving=body.annual_saving,
            evidence=body.evidence,
            description=body.description,
            client=client_address(request),
        )
    except (ValidationError, InvalidInput) as error:
        session.rollback()
        problems = (
            problems_from_validation(error)
            if isinstance(error, ValidationError)
            else error.problems
        )
        ctx = _context(session, principal, problems, _("The saving was not recorded."))
        return render(request, caller, "finops/budget.html", {**ctx, "flash": ""}, 422)
    return back("/finops/budget", done="saved")
