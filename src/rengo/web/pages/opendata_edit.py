"""A ward's open-data officer (or the joint centre) edits a published dataset from the web:
its metadata, its resources' names, a new version of a resource's file or a brand-new
resource (a file or a link; a file is validated first: any problem is listed by row and
column and nothing changes), withdrawal and restoration. Every
change is a new version in the history shown on the dataset page. Another ward's dataset
answers 404, as everywhere in the portal."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, require
from rengo.opendata import service
from rengo.opendata.catalogue import CATEGORIES, FREQUENCIES, LICENSES
from rengo.opendata.models import Dataset
from rengo.opendata.standards import standard_types
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
FIELDS = (
    "title",
    "title_kana",
    "notes",
    "license_id",
    "category",
    "tags",
    "frequency",
    "spatial",
    "temporal_start",
    "temporal_end",
    "contact",
)
State = Annotated[str, Form(pattern="^(active|withdrawn)$")]


def editable(session: Session, principal: Principal, name: str) -> Dataset:
    """The dataset, if this officer may change it (404 otherwise, like a missing one)."""
    dataset = service.find(session, principal, name)
    require(principal, "opendata.publish", dataset.tenant, hide=True)
    return dataset


def _values(dataset: Dataset) -> dict[str, str]:
    values = {k: str(getattr(dataset, k) or "") for k in FIELDS if k != "tags"}
    values["tags"] = ", ".join(dataset.tags or ())
    return values


def _page(
    request: Request,
    caller: Any,
    session: Session,
    dataset: Dataset,
    values: dict[str, str],
    problems: list[Problem],
    status: int = 200,
) -> HTMLResponse:
    context = {
        "d": dataset,
        "values": values,
        "problems": problems,
        "resources": service.resources_of(session, dataset),
        "categories": CATEGORIES,
        "frequencies": FREQUENCIES,
        "licenses": LICENSES,
        "stype": standard_types().get(dataset.standard_type),
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, caller, "opendata/edit.html", context, status_code=status)


def _refused(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    name: str,
    error: InvalidInput,
) -> HTMLResponse:
    """The edit page again with the problems; nothing of the refused change is kept."""
    session.rollback()
    dataset = editable(session, principal, name)
    return _page(request, caller, session, dataset, _values(dataset), error.problems, 422)


def _saved(dataset: Dataset) -> RedirectResponse:
    return RedirectResponse(f"/opendata/dataset/{dataset.name}/edit?saved=1", status_code=303)


@router.get("/opendata/dataset/{name}/edit", response_class=HTMLResponse)
def edit_form(
    name: str, request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    dataset = editable(session, principal, name)
    return _page(request, caller, session, dataset, _values(dataset), [])


@router.post("/opendata/dataset/{name}/edit", response_class=HTMLResponse)
async def edit(
    name: str, request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> Response:
    dataset = editable(session, principal, name)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in FIELDS}
    try:
        service.update(session, principal, dataset.id, values, client=client_address(request))
    except InvalidInput as error:
        session.rollback()
        dataset = editable(session, principal, name)
        return _page(request, caller, session, dataset, values, error.problems, 422)
    return RedirectResponse(f"/opendata/dataset/{dataset.name}/edit?saved=1", status_code=303)


@router.post("/opendata/dataset/{name}/resources/{resource_id}", response_class=HTMLResponse)
def edit_resource(
    name: str,
    resource_id: str,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    resource_name: Annotated[str, Form(max_length=300)] = "",
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    dataset = editable(session, principal, name)
    try:
        service.update_resource(
            session,
            principal,
            dataset.id,
            resource_id,
            resource_name,
            description,
            client=client_address(request),
        )
    except InvalidInput as error:
        return _refused(request, caller, session, principal, name, error)
    return _saved(dataset)


@router.post(
    "/opendata/dataset/{name}/resources/{resource_id}/version", response_class=HTMLResponse
)
async def new_version(
    name: str,
    resource_id: str,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    dataset = editable(session, principal, name)
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a file", [Problem("choose a file", "file")])
        service.replace_resource(
            session,
            principal,
            dataset.id,
            resource_id,
            service.Upload(upload.filename, await upload.read()),
            runtime.data_dir,
            runtime.settings,
            client=client_address(request),
        )
    except InvalidInput as error:
        return _refused(request, caller, session, principal, name, error)
    return _saved(dataset)


@router.post("/opendata/dataset/{name}/resources", response_class=HTMLResponse)
async def add_resource(
    name: str,
    request: Request,
    runtime: RuntimeDep,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> Response:
    """A new resource, as CKAN's ``resource_create``: a file (validated against the
    dataset's standard type, all or nothing) or a link, never both."""
    dataset = editable(session, principal, name)
    form = await request.form()
    texts = {k: str(form.get(k) or "").strip() for k in ("resource_name", "description", "url")}
    upload = form.get("file")
    has_file = isinstance(upload, UploadFile) and bool(upload.filename)
    try:
        if has_file and texts["url"]:
            raise InvalidInput(
                "give a file or a link, not both",
                [Problem("give a file or a link, not both", "file")],
            )
        if not has_file and not texts["url"]:
            raise InvalidInput("give a file or a link", [Problem("give a file or a link", "file")])
        file = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            file = service.Upload(
                upload.filename, data, texts["resource_name"], texts["description"]
            )
        link = None
        if texts["url"]:
            format_ = str(form.get("format") or "").strip()
            link = service.Link(texts["url"], texts["resource_name"], format_, texts["description"])
        service.add_resource(
            session,
            principal,
            dataset.id,
            runtime.data_dir,
            runtime.settings,
            upload=file,
            link=link,
            client=client_address(request),
        )
    except InvalidInput as error:
        return _refused(request, caller, session, principal, name, error)
    return _saved(dataset)


@router.post("/opendata/dataset/{name}/state")
def change_state(
    name: str, state: State, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    dataset = editable(session, principal, name)
    service.set_state(session, principal, dataset.id, state, client=client_address(request))
    return RedirectResponse(f"/opendata/dataset/{dataset.name}", status_code=303)
