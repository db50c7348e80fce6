"""One target: its definition, how its data is obtained, its value per ward and its trend."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rengo.core.errors import NotFound
from rengo.core.permissions import require
from rengo.core.wards import wards
from rengo.targets.registry import get_target
from rengo.web.deps import CallerDep, EvaluatorDep, RuntimeDep, UserDep
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/targets/{target_id}", response_class=HTMLResponse)
def target_page(
    target_id: str,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    runtime: RuntimeDep,
    evaluator: EvaluatorDep,
) -> HTMLResponse:
    require(principal, "targets.read")
    try:
        target = get_target(target_id)
    except KeyError:
        raise NotFound("no target {target_id!r}", values={"target_id": target_id}) from None
    result = evaluator.evaluate(target, runtime.clock.now())
    return render(
        request,
        caller,
        "targets/detail.html",
        {"r": result, "t": target, "ward_rows": wards(), "settings": runtime.settings},
    )
