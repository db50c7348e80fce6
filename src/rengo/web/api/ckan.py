"""The CKAN Action API v3 over the open-data catalogue, under ``/api/3/action/`` and
``/api/action/`` (as ``ckanapi`` calls it), in CKAN's envelope.

Reads are public (CORS open, rate-limited per anonymous client); writes need an API token,
sent as CKAN clients do (``Authorization: <token>`` or ``X-CKAN-API-Key``) or as Bearer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from rengo.core.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    RengoError,
    TooManyAttempts,
    Unauthenticated,
)
from rengo.core.identity import token_for_secret
from rengo.core.permissions import ANONYMOUS, Principal, require
from rengo.core.runtime import Runtime
from rengo.core.wards import wards
from rengo.opendata import ckan, quality, records, search, service
from rengo.opendata.catalogue import CATEGORIES
from rengo.opendata.models import Dataset
from rengo.opendata.settings import OpendataSettings
from rengo.web.deps import bearer_secret, client_address, get_runtime
from rengo.web.ratelimit import allow

router = APIRouter(tags=["opendata (CKAN)"])
PREFIXES = ("/api/3/action", "/api/action")
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-CKAN-API-Key",
}
ERROR_TYPES: dict[type[RengoError], tuple[int, str]] = {
    NotFound: (404, "Not Found Error"),
    Forbidden: (403, "Authorization Error"),
    Unauthenticated: (403, "Authorization Error"),
    InvalidInput: (409, "Validation Error"),
    TooManyAttempts: (429, "Rate Limit Error"),
}

Params = dict[str, Any]
Handler = Callable[[Session, Principal, Params, Request], Any]
ACTIONS: dict[str, tuple[Handler, bool, str]] = {}
"""name → (handler, writes?, summary)."""


def action(name: str, summary: str, writes: bool = False) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        ACTIONS[name] = (function, writes, summary)
        return function

    return register


def _principal(session: Session, runtime: Runtime, request: Request) -> Principal:
    header = request.headers.get("authorization") or request.headers.get("x-ckan-api-key")
    if not header:
        return ANONYMOUS
    secret = bearer_secret(header) if " " in header.strip() else header.strip()
    token = token_for_secret(session, secret, runtime.clock.now()) if secret else None
    if token is None:
        raise Unauthenticated("invalid, expired or revoked token")
    return token.principal()


async def _params(request: Request) -> tuple[Params, dict[str, UploadFile]]:
    params: Params = dict(request.query_params)
    files: dict[str, UploadFile] = {}
    if request.method == "POST":
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            form = await request.form()
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = value
                else:
                    params[key] = value
        else:
            body = await request.body()
            if body:
                try:
                    loaded = json.loads(body)
                except json.JSONDecodeError as error:
                    raise InvalidInput(
                        "the body is not JSON", [Problem(str(error), "body")]
                    ) from None
                if not isinstance(loaded, dict):
                    raise InvalidInput(
                        "the body is a JSON object", [Problem("not an object", "body")]
                    )
                params.update(loaded)
    return params, files


def _error(exc: RengoError) -> JSONResponse:
    status, kind = next(
        (v for k, v in ERROR_TYPES.items() if isinstance(exc, k)), (400, "Validation Error")
    )
    error: dict[str, Any] = {"__type": kind, "message": exc.message}
    for problem in exc.problems:
        error.setdefault(problem.location or "message", []).append(problem.message)
    return JSONResponse({"success": False, "error": error}, status, headers=CORS)


def _endpoint(name: str) -> Callable[[Request], Awaitable[Response]]:
    handler, writes, _summary = ACTIONS[name]

    async def endpoint(request: Request) -> Response:
        runtime = get_runtime(request)
        with runtime.db.sessions() as session:
            try:
                principal = _principal(session, runtime, request)
                limit = runtime.settings.section(OpendataSettings).anonymous_requests_per_minute
                if not principal.is_authenticated and not allow(
                    runtime, "ckan", client_address(request), limit, 60
                ):
                    raise TooManyAttempts("too many requests; try again in a minute")
                if writes and not principal.is_authenticated:
                    raise Forbidden("send an API token to change the catalogue")
                params, files = await _params(request)
                request.state.ckan_files = files
                result = handler(session, principal, params, request)
                session.commit()
            except RengoError as exc:
                session.rollback()
                return _error(exc)
        help_url = f"{request.base_url}api/3/action/help_show?name={name}"
        body = {"help": help_url, "success": True, "result": result}
        return JSONResponse(body, headers=CORS)

    return endpoint


async def _preflight() -> Response:
    return Response(status_code=204, headers=CORS)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _int(params: Params, key: str, default: int) -> int:
    try:
        return int(params.get(key, default))
    except (TypeError, ValueError):
        raise InvalidInput(
            "{key} is a number", [Problem("not a number", key)], {"key": key}
        ) from None


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [v for v in value.split(",") if v]
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _package(session: Session, dataset: Dataset, request: Request) -> dict[str, Any]:
    resources = service.resources_of(session, dataset)
    score = quality.assess(dataset, resources, get_runtime(request).clock.now())
    return ckan.package_dict(dataset, resources, _base(request), score)


def _required(params: Params, key: str) -> str:
    value = params.get(key)
    if not value:
        raise InvalidInput("missing value", [Problem("Missing value", key)])
    return str(value)


@action("status_show", "The portal's CKAN-compatible status")
def status_show(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    return {
        "ckan_version": ckan.CKAN_VERSION,
        "site_title": "Data for Citizen Tokyo",
        "site_description": "東京23区共同オープンデータポータル",
        "site_url": _base(request),
        "locale_default": "ja",
        "extensions": ["datastore"],
    }


@action("package_list", "Names of the published datasets")
def package_list(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    require(principal, "opendata.read")
    query = select(Dataset.name).where(Dataset.state == "active").order_by(Dataset.name)
    limit = params.get("limit")
    if limit is not None:
        query = query.limit(_int(params, "limit", 0)).offset(_int(params, "offset", 0))
    return list(session.scalars(query))


@action("package_show", "One dataset by id or name")
def package_show(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    return _package(session, service.find(session, principal, _required(params, "id")), request)


@action("package_search", "Search datasets (q, fq, facet.field, rows ≤ 1000, start, sort)")
def package_search(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    require(principal, "opendata.read")
    filters, since = ckan.parse_fq(str(params.get("fq", "")))
    facets = _list(params.get("facet.field"))
    query = search.Query(
        q=str(params.get("q", "") or "").replace("*:*", ""),
        filters=filters,
        modified_since=since,
        sort=str(params.get("sort") or "score desc, metadata_modified desc"),
        rows=_int(params, "rows", 10),
        start=_int(params, "start", 0),
        facet_fields=facets,
        facet_limit=_int(params, "facet.limit", 50),
    )
    result = search.search(session, query)
    search_facets = {
        name: {
            "title": name,
            "items": [{"name": v, "display_name": v, "count": n} for v, n in items],
        }
        for name, items in result.facets.items()
    }
    return {
        "count": result.count,
        "sort": query.sort,
        "results": [_package(session, d, request) for d in result.datasets],
        "facets": {name: dict(items) for name, items in result.facets.items()},
        "search_facets": search_facets,
    }


def _counts(session: Session, column: Any) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count()).where(Dataset.state == "active").group_by(column)
    )
    return {str(k): int(n) for k, n in rows}


@action("organization_list", "The 23 wards as CKAN organisations")
def organization_list(
    session: Session, principal: Principal, params: Params, request: Request
) -> Any:
    counts = _counts(session, Dataset.tenant)
    if str(params.get("all_fields", "")).lower() in ("true", "1"):
        return [ckan.organization_dict(w.code, counts.get(w.code, 0)) for w in wards()]
    return [w.slug for w in wards()]


@action("organization_show", "One ward by code or name")
def organization_show(
    session: Session, principal: Principal, params: Params, request: Request
) -> Any:
    try:
        code = ckan.organization_code(_required(params, "id"))
    except InvalidInput:
        raise NotFound("organization not found") from None
    return ckan.organization_dict(code, _counts(session, Dataset.tenant).get(code, 0))


@action("group_list", "The categories as CKAN groups")
def group_list(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    counts = _counts(session, Dataset.category)
    if str(params.get("all_fields", "")).lower() in ("true", "1"):
        return [ckan.group_dict(key, counts.get(key, 0)) for key in CATEGORIES]
    return list(CATEGORIES)


@action("tag_list", "Tags of the published datasets")
def tag_list(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    tags: set[str] = set()
    for value in session.scalars(select(Dataset.tags).where(Dataset.state == "active")):
        tags.update(value or ())
    return sorted(tags)


@action("resource_show", "One resource by id")
def resource_show(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    resource = service.find_resource(session, principal, _required(params, "id"))
    return ckan.resource_dict(resource, _base(request))


@action("datastore_search", "Records of a tabular resource (q, filters, sort, limit, offset)")
def datastore_search(
    session: Session, principal: Principal, params: Params, request: Request
) -> Any:
    resource_id = _required(params, "resource_id")
    service.find_resource(session, principal, resource_id)
    filters = params.get("filters") or {}
    if isinstance(filters, str):
        try:
            filters = json.loads(filters)
        except json.JSONDecodeError:
            raise InvalidInput("filters is a JSON object", [Problem(filters, "filters")]) from None
    limit, offset = _int(params, "limit", 100), _int(params, "offset", 0)
    found = records.search(
        get_runtime(request).data_dir,
        resource_id,
        q=str(params.get("q", "")),
        filters=filters if isinstance(filters, dict) else {},
        sort=str(params.get("sort", "")),
        limit=limit,
        offset=offset,
    )
    return {
        "resource_id": resource_id,
        "fields": found.fields,
        "records": found.records,
        "total": found.total,
        "limit": limit,
        "offset": offset,
    }


def _links(params: Params) -> list[service.Link]:
    return [
        service.Link(str(r.get("url", "")), str(r.get("name", "")), str(r.get("format", "")))
        for r in params.get("resources") or []
        if isinstance(r, dict) and r.get("url")
    ]


@action("package_create", "Publish a dataset (API token of the ward's open-data officer)", True)
def package_create(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    ward = ckan.organization_code(_required(params, "owner_org"))
    runtime = get_runtime(request)
    dataset = service.publish(
        session,
        principal,
        service.parse_fields(ckan.fields_from_package(params)),
        runtime.settings,
        runtime.data_dir,
        ward=ward,
        links=_links(params),
        origin="api",
        client=client_address(request),
    )
    session.flush()
    return _package(session, dataset, request)


def _change(session: Session, principal: Principal, params: Params, request: Request) -> Any:
    ref = _required(params, "id")
    values = ckan.fields_from_package(params)
    dataset = service.update(session, principal, ref, values, client=client_address(request))
    return _package(session, dataset, request)


action("package_update", "Change a dataset's metadata (fields not sent stay)", True)(_change)
action("package_patch", "Change some of a dataset's metadata", True)(_change)


@action("resource_create", "Add a resource: a URL, or an uploaded file (validated)", True)
def resource_create(
    session: Session, principal: Principal, params: Params, request: Request
) -> Any:
    runtime = get_runtime(request)
    files: dict[str, UploadFile] = request.state.ckan_files
    upload = None
    link = None
    if "upload" in files:
        file = files["upload"]
        data = file.file.read()
        upload = service.Upload(file.filename or "upload.csv", data, str(params.get("name", "")))
    else:
        link = service.Link(
            _required(params, "url"), str(params.get("name", "")), str(params.get("format", ""))
        )
    resource = service.add_resource(
        session,
        principal,
        _required(params, "package_id"),
        runtime.data_dir,
        runtime.settings,
        upload=upload,
        link=link,
        client=client_address(request),
    )
    session.flush()
    return ckan.resource_dict(resource, _base(request))


for _prefix in PREFIXES:
    for _name, (_handler, _writes, _summary) in ACTIONS.items():
        for _method in ("POST",) if _writes else ("GET", "POST"):
            router.add_api_route(
                f"{_prefix}/{_name}",
                _endpoint(_name),
                methods=[_method],
                summary=_summary,
                operation_id=f"ckan_{_name}_{_method.lower()}",
                include_in_schema=_prefix == PREFIXES[0],
            )
    router.add_api_route(
        f"{_prefix}/{{name}}", _preflight, methods=["OPTIONS"], include_in_schema=False
    )
