"""The home dashboard: every policy target, its status, trend and evidence, for all wards."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse

from rengo.core.wards import wards
from rengo.targets.registry import Kind
from rengo.web.deps import CallerDep, EvaluatorDep, RuntimeDep, UserDep, evaluator_for
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


@asynccontextmanager
async def _warm_targets(app: FastAPI) -> AsyncIterator[None]:
    """Compute every target once in the background at start: the first visitor waits for none."""
    runtime = app.state.runtime
    if runtime.settings.web.warm_targets:
        evaluator = evaluator_for(app)
        threading.Thread(
            target=lambda: evaluator.evaluate_all(runtime.clock.now()),
            name="warm-targets",
            daemon=True,
        ).start()
    yield


LIFESPAN = _warm_targets
NAV = [NavItem("home", N_("Policy targets"), "/", order=0)]

MEASURES = (
    (1, N_("Measure 1: Joint cyber defence")),
    (2, N_("Measure 2: Cloud cost")),
    (3, N_("Measure 3: EBPM and open data")),
    (0, N_("The shared information asset register")),
)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    runtime: RuntimeDep,
    evaluator: EvaluatorDep,
) -> HTMLResponse:
    results = evaluator.evaluate_all(runtime.clock.now())
    by_measure = [
        (m, title, [r for r in results if r.target.measure == m]) for m, title in MEASURES
    ]
    ward_targets = [r for r in results if r.target.per_ward and r.per_ward]
    return render(
        request,
        caller,
        "home.html",
        {
            "by_measure": by_measure,
            "ward_targets": ward_targets,
            "ward_rows": wards(),
            "settings": runtime.settings,
            "kinds": Kind,
            "own_ward": principal.tenant,
        },
    )
