"""Allocation rules and shared pools (joint centre): list, add, delete, rebuild the lake."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.errors import InvalidInput, Problem
from rengo.finops import service
from rengo.finops.allocation import FIELDS, Rule
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.pages.finops.common import (
    METHOD_LABELS,
    back,
    flash_of,
    system_label,
    ward_label,
)
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
FROM_VALUE = "__value__"


@router.get("/finops/rules", response_class=HTMLResponse)
def rules_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    return render(
        request,
        caller,
        "finops/rules.html",
        {
            "rules": service.rules(session, principal),
            "pools": service.pools(session, principal),
            "fields": FIELDS,
            "methods": METHOD_LABELS,
            "business_systems": BUSINESS_SYSTEMS,
            "ward_label": ward_label,
            "system_label": system_label,
            "flash": flash_of(request),
        },
    )


@router.post("/finops/rules")
async def rule_add(request: Request, principal: UserDep, session: SessionDep) -> RedirectResponse:
    form = await request.form()
    priority = str(form.get("priority") or "100")
    if not priority.isdigit() or len(priority) > 7:
        raise InvalidInput("invalid allocation rule", [Problem("a whole number", "priority")])
    ward = str(form.get("ward") or "")
    system = str(form.get("business_system") or "")
    rule = Rule(
        id=0,
        priority=int(priority),
        field=str(form.get("field") or ""),
        pattern=str(form.get("pattern") or "").strip()[:256],
        tag_key=str(form.get("tag_key") or "").strip()[:128] or None,
        ward=ward if ward and ward != FROM_VALUE else None,
        ward_from_value=ward == FROM_VALUE,
        business_system=system if system and system != FROM_VALUE else None,
        system_from_value=system == FROM_VALUE,
        shared_pool=str(form.get("shared_pool") or "") or None,
    )
    service.add_rule(session, principal, rule, str(form.get("description") or "")[:2000])
    return back("/finops/rules", done="saved")


@router.post("/finops/rules/{rule_id}/delete")
def rule_delete(
    rule_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    service.delete_rule(session, principal, rule_id, client_address(request))
    return back("/finops/rules", done="deleted")


@router.post("/finops/pools")
async def pool_add(request: Request, principal: UserDep, session: SessionDep) -> RedirectResponse:
    form = await request.form()
    service.add_pool(
        session,
        principal,
        str(form.get("name") or ""),
        str(form.get("method") or ""),
        [str(w) for w in form.getlist("wards")],
        str(form.get("description") or "")[:2000],
    )
    return back("/finops/rules", done="saved")


@router.post("/finops/pools/{pool_id}/delete")
def pool_delete(
    pool_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    service.delete_pool(session, principal, pool_id, client_address(request))
    return back("/finops/rules", done="deleted")


@router.post("/finops/rules/rebuild")
def rebuild(principal: UserDep, session: SessionDep, runtime: RuntimeDep) -> RedirectResponse:
    service.rebuild_lake(session, principal, runtime.data_dir, runtime.settings)
    return back("/finops/rules", done="rebuilt")
