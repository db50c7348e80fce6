"""Pages of the information asset register: search, view with history, create, edit, CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rengo.assets import csvio, service
from rengo.assets.reference import (
    BUSINESS_SYSTEMS,
    CLOUD_PROVIDERS,
    KINDS,
    LOCATIONS,
    SEGMENTS,
)
from rengo.assets.schemas import EDITABLE_FIELDS, AssetCreate, AssetFields
from rengo.assets.settings import AssetSettings
from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import allows
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_message, problem_message
from rengo.web.i18n import N_, _
from rengo.web.nav import NavItem
from rengo.web.pages.finops.architecture import architecture_context
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("register", N_("Asset register"), "/assets", "assets.read", order=10),
    NavItem("register", N_("Import CSV"), "/assets/import", "assets.write", order=20),
]
VOCABULARIES = {
    "kinds": KINDS,
    "locations": LOCATIONS,
    "providers": CLOUD_PROVIDERS,
    "segments": SEGMENTS,
    "business_systems": BUSINESS_SYSTEMS,
}


def _bool(value: str | None) -> bool | None:
    return {"true": True, "false": False}.get(value or "")


def _filter_from_query(request: Request) -> service.AssetFilter:
    qp = request.query_params
    conf = qp.get("confidentiality") or ""
    page = qp.get("page") or "1"
    return service.AssetFilter(
        ward=qp.get("ward") or None,
        kind=qp.get("kind") or None,
        location=qp.get("location") or None,
        segment=qp.get("segment") or None,
        business_system=qp.get("business_system") or None,
        q=qp.get("q") or None,
        sort=qp.get("sort") or "name",
        confidentiality=int(conf) if conf.isdigit() else None,
        personal_data=_bool(qp.get("personal_data")),
        classified=_bool(qp.get("classified")),
        retired=_bool(qp.get("retired")),
        page=int(page) if page.isdigit() else 1,
        per_page=50,
    )


@router.get("/assets", response_class=HTMLResponse)
def asset_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    f = _filter_from_query(request)
    page = service.search_assets(session, principal, f)
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    template = "assets/_results.html" if request.headers.get("hx-request") else "assets/list.html"
    return render(
        request,
        caller,
        template,
        {
            "page": page,
            "f": f,
            "query": query,
            "can_write": allows(principal, "assets.write"),
            **VOCABULARIES,
        },
    )


def _form_values(form: Any) -> dict[str, Any]:
    """Form fields as asset values: an empty input means the field's default (none, [], {})."""
    values: dict[str, Any] = {}
    for name in EDITABLE_FIELDS:
        raw = form.get(name)
        if name == "personal_data":
            values[name] = raw in ("on", "true", "1")  # an unchecked box is simply absent
        elif raw is None:
            continue
        elif raw == "":
            values[name] = AssetFields.model_fields[name].get_default(call_default_factory=True)
        else:
            values[name] = raw
    return values


def _field_errors(problems: list[Problem]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for p in problems:
        key = p.location.removeprefix("field ").split(".")[0] if p.location else "form"
        errors.setdefault(key, problem_message(p))
    return errors


def _form_page(
    request: Request,
    caller: CallerDep,
    asset: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        caller,
        "assets/form.html",
        {
            "asset": asset,
            "v": values,
            "errors": errors,
            **VOCABULARIES,
            "settings_levels": request.app.state.runtime.settings.section(AssetSettings),
        },
        status,
    )


@router.get("/assets/new", response_class=HTMLResponse)
def new_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    values = {"kind": "system", "location": "on_premises", "ward": principal.tenant}
    return _form_page(request, caller, None, values, {})


@router.post("/assets/new", response_model=None)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    values = _form_values(form)
    values["ward"] = form.get("ward") or None
    try:
        data = AssetCreate.model_validate(values)
        with runtime.db.session() as session:
            asset = service.create_asset(
                session, principal, data, runtime.settings, client=client_address(request)
            )
    except ValidationError as error:
        problems = problems_from_validation(error)
        return _form_page(request, caller, None, values, _field_errors(problems), 422)
    except InvalidInput as error:
        return _form_page(request, caller, None, values, _field_errors(error.problems), 422)
    return RedirectResponse(f"/assets/{asset.id}?saved=1", status_code=303)


@router.get("/assets/import", response_class=HTMLResponse)
def import_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    return render(request, caller, "assets/import.html", {"problems": [], "result": None})


@router.post("/assets/import", response_class=HTMLResponse)
async def import_file(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        problems = [Problem(_("Choose a CSV file."), "file")]
        return render(
            request, caller, "assets/import.html", {"problems": problems, "result": None}, 422
        )
    data = await upload.read()
    try:
        with runtime.db.session() as session:
            result = csvio.import_csv(
                session,
                principal,
                data,
                runtime.settings,
                filename=upload.filename or "upload.csv",
                client=client_address(request),
            )
    except InvalidInput as error:
        return render(
            request,
            caller,
            "assets/import.html",
            {"problems": error.problems, "result": None, "message": error_message(error)},
            422,
        )
    return render(request, caller, "assets/import.html", {"problems": [], "result": result})


@router.get("/assets/{asset_id}", response_class=HTMLResponse)
def asset_detail(
    asset_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    asset = service.get_asset(session, principal, asset_id, client=client_address(request))
    changes = service.history(session, principal, asset_id)
    return render(
        request,
        caller,
        "assets/detail.html",
        {
            "a": asset,
            "changes": changes,
            "architecture": architecture_context(session, principal, runtime, asset),
            "can_write": allows(principal, "assets.write", asset.tenant),
            "saved": request.query_params.get("saved"),
            **VOCABULARIES,
        },
    )


@router.get("/assets/{asset_id}/edit", response_class=HTMLResponse)
def edit_form(
    asset_id: IdPath, request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    asset = service.get_asset(session, principal, asset_id, client=client_address(request))
    values = {name: getattr(asset, name) for name in EDITABLE_FIELDS}
    values["ward"] = asset.tenant
    return _form_page(request, caller, asset, values, {})


@router.post("/assets/{asset_id}/edit", response_model=None)
async def update(
    asset_id: IdPath, request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    values = _form_values(form)
    version_text = str(form.get("version") or "")
    try:
        with runtime.db.session() as session:
            asset = service.update_asset(
                session,
                principal,
                asset_id,
                values,
                runtime.settings,
                expected_version=int(version_text) if version_text.isdigit() else None,
                client=client_address(request),
            )
    except InvalidInput as error:
        with runtime.db.session() as session:
            current = service.get_asset(session, principal, asset_id)
        return _form_page(request, caller, current, values, _field_errors(error.problems), 422)
    return RedirectResponse(f"/assets/{asset.id}?saved=1", status_code=303)
