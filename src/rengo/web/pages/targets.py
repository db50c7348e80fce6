"""One target: its definition, how its data is obtained, its value per ward and its trend."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rengo.core.errors import NotFound
from rengo.core.permissions import require
from rengo.core.wards import wards
from rengo.targets.registry import get_target, visible_records
from rengo.web.deps import CallerDep, EvaluatorDep, RuntimeDep, UserDep
from rengo.web.i18n import N_
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)

# What the records behind a value are and their role (``Record.kind`` and ``Record.note``
# of the domains' targets), shown translated on the target's page.
RECORD_LABELS = (
    N_("Incident"),
    N_("hours to contain"),
    N_("not contained"),
    N_("Advisory"),
    N_("Shared report"),
    N_("Budget or settlement line"),
    N_("Typed-in baseline"),
    N_("Cloud bill"),
    N_("Unit-cost saving"),
    N_("Completed recommendation"),
    N_("External saving"),
    N_("Training"),
    N_("before"),
    N_("after"),
    N_("after (actual + forecast)"),
    N_("standalone"),
    N_("joint centre"),
    N_("joint centre (cloud, actual + forecast)"),
    N_("this year's bill"),
    N_("like-for-like"),
    N_("participants"),
)


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
        {
            "r": result,
            "t": target,
            "ward_rows": wards(),
            "settings": runtime.settings,
            "records": visible_records(result.overall.records, principal),
        },
    )
