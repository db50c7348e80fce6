"""The FinOps cloud-use guideline: the current version, or an earlier one by name."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from rengo.core.permissions import require
from rengo.finops import guideline
from rengo.web.deps import CallerDep, UserDep
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/finops/guideline", response_class=HTMLResponse)
def guideline_page(
    request: Request, caller: CallerDep, principal: UserDep, version: str | None = Query(None)
) -> HTMLResponse:
    require(principal, "finops.saas.read")
    shown = guideline.version(version)
    return render(
        request,
        caller,
        "finops/guideline.html",
        {"g": shown, "versions": guideline.versions(), "current": guideline.version()},
    )
