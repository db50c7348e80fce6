"""The BPR support team's page for one request: the joint centre assigns experts, records
their visits and closes the request with its outcome against the ward's BPR register.

A ward asks on ``/finops/bpr`` and follows its own requests here (read only); another
ward's request is not found. Every change goes through ``finops.bpr_dispatch``, which
checks ``finops.bpr.dispatch``.
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from rengo.core.errors import InvalidInput, problems_from_validation
from rengo.core.permissions import allows
from rengo.finops import bpr_dispatch
from rengo.finops.models import BprCase
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.pages.finops.common import back, flash_of, system_label, ward_label
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)


def _page(dispatch_id: int) -> str:
    return f"/finops/bpr/dispatches/{dispatch_id}"


@router.get("/finops/bpr/dispatches/{dispatch_id}", response_class=HTMLResponse)
def dispatch_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    dispatch_id: IdPath,
) -> HTMLResponse:
    shown = bpr_dispatch.view(session, principal, dispatch_id)
    d = shown.dispatch
    can_run = allows(principal, "finops.bpr.dispatch") and d.status != "closed"
    cases = (
        list(
            session.scalars(
                select(BprCase).where(BprCase.ward == d.ward).order_by(BprCase.process_name)
            )
        )
        if can_run
        else []
    )
    return render(
        request,
        caller,
        "finops/dispatch.html",
        {
            "v": shown,
            "can_run": can_run,
            "cases": cases,
            "flash": flash_of(request),
            "system_label": system_label,
            "ward_label": ward_label,
        },
    )


def _validated(model: type[M], values: dict[str, object]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidInput("invalid dispatch request", problems_from_validation(error)) from None


@router.post("/finops/bpr/dispatches/{dispatch_id}/assign")
async def dispatch_assign(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    dispatch_id: IdPath,
) -> RedirectResponse:
    form = await request.form()
    experts = [line.strip() for line in str(form.get("experts", "")).splitlines()]
    data = _validated(bpr_dispatch.AssignIn, {"experts": [e for e in experts if e]})
    bpr_dispatch.assign(session, principal, dispatch_id, data, runtime.clock.now())
    return back(_page(dispatch_id), done="saved")


@router.post("/finops/bpr/dispatches/{dispatch_id}/visits")
async def dispatch_visit(
    request: Request, principal: UserDep, session: SessionDep, dispatch_id: IdPath
) -> RedirectResponse:
    form = await request.form()
    values: dict[str, object] = {
        name: str(form.get(name, "")) for name in ("visited_on", "expert", "hours", "notes")
    }
    data = _validated(bpr_dispatch.VisitIn, values)
    bpr_dispatch.record_visit(session, principal, dispatch_id, data)
    return back(_page(dispatch_id), done="saved")


@router.post("/finops/bpr/dispatches/{dispatch_id}/close")
async def dispatch_close(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    dispatch_id: IdPath,
) -> RedirectResponse:
    form = await request.form()
    case = str(form.get("bpr_case_id", "")).strip()
    values: dict[str, object] = {
        "outcome": str(form.get("outcome", "")),
        "bpr_case_id": case or None,
    }
    data = _validated(bpr_dispatch.CloseIn, values)
    bpr_dispatch.close(session, principal, dispatch_id, data, runtime.clock.now())
    return back(_page(dispatch_id), done="saved")
