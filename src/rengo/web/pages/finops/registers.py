"""The registers of measure 2: BPR cases and their library, public SaaS, joint procurement,
trainings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import allows, require
from rengo.finops import bpr, bpr_dispatch, guideline, saas
from rengo.finops.forecast import fiscal_year_bounds, fiscal_year_of
from rengo.finops.settings import FinopsSettings
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import problem_message
from rengo.web.pages.finops.common import (
    back,
    flash_of,
    parse_amount,
    parse_date,
    system_label,
    ward_label,
)
from rengo.web.templating import env, render

router = APIRouter(include_in_schema=False)
BPR_FIELDS = (
    "business_system",
    "process_name",
    "method",
    "hours_before",
    "hours_after",
    "implemented_on",
    "description",
)


def _problems(error: ValidationError) -> dict[str, str]:
    return {
        p.location.removeprefix("field ") or "form": problem_message(p)
        for p in problems_from_validation(error)
    }


# -- BPR -------------------------------------------------------------------------------


@router.get("/finops/bpr", response_class=HTMLResponse)
def bpr_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    cases = bpr.register(session, principal, request.query_params.get("ward") or None)
    library = bpr.library(session, principal) if allows(principal, "finops.bpr.library") else []
    return render(
        request,
        caller,
        "finops/bpr.html",
        {
            "cases": cases,
            "library": library,
            "methods": bpr.METHODS,
            "flash": flash_of(request),
            "system_label": system_label,
            "ward_label": ward_label,
            "can_write": allows(principal, "finops.bpr.write") and not principal.is_joint,
            "ward": request.query_params.get("ward", ""),
            "dispatches": [
                bpr_dispatch.view(session, principal, d.id)
                for d in bpr_dispatch.listing(session, principal)
            ],
            "systems": BUSINESS_SYSTEMS,
        },
    )


env.globals.update(DISPATCH_STATUSES=bpr_dispatch.STATUSES)


@router.post("/finops/bpr/dispatches", response_model=None)
async def bpr_dispatch_request(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A ward asks the BPR support team for experts (the centre answers on the request's
    page, ``pages/finops/dispatch.py``)."""
    form = await request.form()
    try:
        data = bpr_dispatch.DispatchIn(
            topic=str(form.get("topic", "")),
            business_system=str(form.get("business_system", "")),
            detail=str(form.get("detail", "")),
        )
    except ValidationError as error:
        raise InvalidInput("invalid dispatch request", problems_from_validation(error)) from None
    bpr_dispatch.request(session, principal, data, runtime.clock.now())
    return RedirectResponse("/finops/bpr?saved=dispatch#dispatches", status_code=303)


def _bpr_form_page(
    request: Request,
    caller: CallerDep,
    case: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        caller,
        "finops/bpr_form.html",
        {
            "case": case,
            "v": values,
            "errors": errors,
            "methods": bpr.METHODS,
            "business_systems": BUSINESS_SYSTEMS,
        },
        status,
    )


@router.get("/finops/bpr/new", response_class=HTMLResponse)
def bpr_new(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    require(principal, "finops.bpr.write", principal.tenant)
    return _bpr_form_page(request, caller, None, {"method": "process_redesign"}, {})


@router.get("/finops/bpr/{case_id}", response_class=HTMLResponse)
def bpr_edit(
    case_id: IdPath, request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    case = bpr.get(session, principal, case_id)
    values = {name: getattr(case, name) for name in (*BPR_FIELDS, "shared")}
    if not allows(principal, "finops.bpr.write", case.ward):
        return render(
            request,
            caller,
            "finops/bpr_case.html",
            {
                "case": case,
                "methods": bpr.METHODS,
                "system_label": system_label,
                "ward_label": ward_label,
            },
        )
    return _bpr_form_page(request, caller, case, values, {})


async def _bpr_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in BPR_FIELDS}
    values["shared"] = form.get("shared") in ("on", "true", "1")
    return values


@router.post("/finops/bpr/new", response_model=None)
async def bpr_create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    values = await _bpr_values(request)
    try:
        data = bpr.BprIn.model_validate(values)
        with runtime.db.session() as session:
            bpr.create(session, principal, data)
    except ValidationError as error:
        return _bpr_form_page(request, caller, None, values, _problems(error), 422)
    return back("/finops/bpr", done="saved")


@router.post("/finops/bpr/{case_id}", response_model=None)
async def bpr_update(
    case_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    runtime: RuntimeDep,
) -> Response:
    values = await _bpr_values(request)
    try:
        data = bpr.BprIn.model_validate(values)
        with runtime.db.session() as session:
            bpr.update(session, principal, case_id, data, client_address(request))
    except ValidationError as error:
        with runtime.db.session() as session:
            case = bpr.get(session, principal, case_id)
            return _bpr_form_page(request, caller, case, values, _problems(error), 422)
    return back("/finops/bpr", done="saved")


@router.post("/finops/bpr/{case_id}/reuse")
def bpr_reuse(
    case_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    case = bpr.reuse(session, principal, case_id, runtime.clock.now().date())
    return RedirectResponse(f"/finops/bpr/{case.id}", status_code=303)


# -- public SaaS and joint procurement ----------------------------------------------------


@router.get("/finops/saas", response_class=HTMLResponse)
def saas_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    products = [(p, users, saas.criteria(p)) for p, users in saas.products(session, principal)]
    names = {p.id: p.name for p, _users, _c in products}
    return render(
        request,
        caller,
        "finops/saas.html",
        {
            "products": products,
            "procurements": saas.procurements(session, principal),
            "names": names,
            "min_availability": saas.MIN_AVAILABILITY,
            "system_label": system_label,
            "ward_label": ward_label,
            "flash": flash_of(request),
            "business_systems": BUSINESS_SYSTEMS,
            "can_write": allows(principal, "finops.saas.write"),
            "can_use": allows(principal, "finops.saas.use") and not principal.is_joint,
        },
    )


@router.post("/finops/saas")
async def saas_add(request: Request, principal: UserDep, session: SessionDep) -> RedirectResponse:
    form = await request.form()
    availability = (
        parse_amount(form.get("availability_pct")) if form.get("availability_pct") else None
    )
    if availability is not None and not 0 <= availability <= 100:
        raise InvalidInput("invalid product", [Problem("0 to 100", "availability_pct")])
    saas.add_product(
        session,
        principal,
        name=str(form.get("name") or ""),
        vendor=str(form.get("vendor") or "")[:200],
        category=str(form.get("category") or "")[:64],
        ismap_id=str(form.get("ismap_id") or "")[:64],
        data_in_japan=form.get("data_in_japan") == "on",
        availability_pct=availability,
        lgwan=form.get("lgwan") == "on",
        note=str(form.get("note") or "")[:2000],
    )
    return back("/finops/saas", done="saved")


@router.post("/finops/saas/{product_id}/use")
def saas_use(
    product_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    saas.mark_used(session, principal, product_id, principal.tenant, runtime.clock.now().date())
    return back("/finops/saas", done="saved")


@router.post("/finops/procurements")
async def procurement_add(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    product = str(form.get("product_id") or "")
    saas.add_procurement(
        session,
        principal,
        title=str(form.get("title") or ""),
        wards=[str(w) for w in form.getlist("wards")],
        procured_on=parse_date(str(form.get("procured_on") or ""), runtime.clock.now().date()),
        product_id=int(product) if product.isdigit() and len(product) < 10 else None,
        business_system=str(form.get("business_system") or "")[:32],
        amount=parse_amount(form.get("amount")) if form.get("amount") else None,
        note=str(form.get("note") or "")[:2000],
    )
    return back("/finops/saas", done="saved")


# -- trainings ------------------------------------------------------------------------------


@router.get("/finops/trainings", response_class=HTMLResponse)
def trainings_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    rows = saas.trainings(session, principal)
    s = runtime.settings.section(FinopsSettings)
    today = runtime.clock.now().date()
    fy = fiscal_year_of(today, s.fiscal_year_start_month)
    start, end = fiscal_year_bounds(fy, s.fiscal_year_start_month)
    return render(
        request,
        caller,
        "finops/trainings.html",
        {
            "trainings": rows,
            "total": sum(n for _t, n in rows),
            "fy": fy,
            "completion": saas.completion_by_ward(session, principal, start, end),
            "versions": [v.version for v in guideline.versions()],
            "flash": flash_of(request),
            "today": runtime.clock.now().date(),
            "can_write": allows(principal, "finops.saas.write"),
        },
    )


@router.post("/finops/trainings")
async def training_add(
    request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    form = await request.form()
    participants: dict[str, int] = {}
    completed: dict[str, int] = {}
    for key, value in form.multi_items():
        if key.startswith(("p_", "c_")) and str(value).strip():
            text = str(value).strip()
            if not text.isdigit() or len(text) > 6:
                raise InvalidInput("invalid training", [Problem("a whole number", key)])
            (participants if key.startswith("p_") else completed)[key[2:]] = int(text)
    saas.add_training(
        session,
        principal,
        title=str(form.get("title") or ""),
        topic=str(form.get("topic") or ""),
        held_on=parse_date(str(form.get("held_on") or ""), runtime.clock.now().date()),
        participants=participants,
        description=str(form.get("description") or "")[:2000],
        completed=completed,
        material=str(form.get("material") or ""),
        guideline_version=str(form.get("guideline_version") or ""),
    )
    return back("/finops/trainings", done="saved")
