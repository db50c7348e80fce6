"""The open-data officer's web form: upload a file in a standard layout, see every problem
by row and column, or publish it (all or nothing) as a dataset of one's ward."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import require
from rengo.core.wards import wards
from rengo.opendata import service
from rengo.opendata.catalogue import CATEGORIES, FREQUENCIES
from rengo.opendata.standards import standard_types
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m3", N_("Publish open data"), "/opendata/publish", "opendata.publish", order=13)]
FIELDS = ("title", "title_kana", "notes", "standard_type", "category", "tags", "frequency")


def _page(
    request: Request, caller: Any, values: dict[str, str], problems: list[Problem], status: int
) -> HTMLResponse:
    context = {
        "values": values,
        "problems": problems,
        "types": standard_types(),
        "categories": CATEGORIES,
        "frequencies": FREQUENCIES,
        "wards": wards() if caller.principal.is_joint else [],
    }
    return render(request, caller, "opendata/publish.html", context, status_code=status)


@router.get("/opendata/publish", response_class=HTMLResponse)
def publish_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    require(principal, "opendata.publish")
    return _page(request, caller, {"frequency": "irregular"}, [], 200)


@router.post("/opendata/publish", response_class=HTMLResponse)
async def publish(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    require(principal, "opendata.publish")
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in (*FIELDS, "ward")}
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a file", [Problem("choose a file", "file")])
        data = await upload.read()
        dataset = service.publish(
            session,
            principal,
            service.parse_fields({k: values[k] for k in FIELDS}),
            runtime.settings,
            runtime.data_dir,
            ward=values["ward"] or None,
            uploads=[service.Upload(upload.filename, data)],
            client=client_address(request),
        )
    except InvalidInput as error:
        session.rollback()
        return _page(request, caller, values, error.problems, 422)
    return RedirectResponse(f"/opendata/dataset/{dataset.name}", status_code=303)
