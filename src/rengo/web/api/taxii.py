"""The TAXII 2.1 server at ``/taxii2/`` (discovery) with the API root ``/taxii2/rengo/``.

Every endpoint of TAXII 2.1 (OASIS, 2021): discovery, API root, status, collections, a
collection, its manifest, objects (GET, POST, with match[id|type|version|spec_version],
added_after, limit/next), one object (GET, DELETE) and its versions. Responses are
``application/taxii+json;version=2.1``; every error is a TAXII error message with its
HTTP status, also for authentication failures, unknown paths and wrong methods.
Authentication: ward API tokens as Basic password, Bearer or ``Token`` (as
taxii2-client sends); the anonymous public reads TLP:CLEAR of public collections.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.routing import Match

from rengo.core import audit
from rengo.core.acting import Acting
from rengo.core.errors import NotFound, RengoError
from rengo.core.jsondepth import deeper_than
from rengo.core.permissions import Principal, allows
from rengo.intel import collections as colls
from rengo.intel import store, submissions, timestamps
from rengo.intel.ingest import ingest, withdraw
from rengo.intel.models import IntelCollection, IntelObject, IntelStatus
from rengo.intel.settings import IntelSettings
from rengo.intel.tlp import TLP
from rengo.web.deps import CSRF_HEADER, SessionDep, client_address, get_caller, get_runtime

log = logging.getLogger("rengo.intel.taxii")

MEDIA_TAXII = "application/taxii+json;version=2.1"
MEDIA_STIX = "application/stix+json;version=2.1"
API_ROOT = "rengo"
ROOT_PATH = f"/taxii2/{API_ROOT}/"


class TaxiiError(Exception):
    """An error answered as a TAXII 2.1 error message."""

    def __init__(
        self, status: int, title: str, description: str = "", details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(title)
        self.status, self.title, self.description, self.details = (
            status,
            title,
            description,
            details,
        )

    def response(self) -> Response:
        body: dict[str, Any] = {"title": self.title, "http_status": str(self.status)}
        if self.description:
            body["description"] = self.description
        if self.details:
            body["details"] = self.details
        headers = {}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="rengo TAXII", Bearer'
        return taxii_response(body, self.status, headers)


def _from_rengo(exc: RengoError) -> TaxiiError:
    details = {"problems": [{"location": p.location, "message": p.message} for p in exc.problems]}
    status = 400 if exc.status_code == 422 else exc.status_code
    titles = {
        400: "Bad request",
        401: "Authentication required",
        403: "Forbidden",
        404: "Not found",
        409: "Conflict",
        429: "Too many attempts",
    }
    return TaxiiError(
        status, titles.get(status, exc.code), exc.message, details if exc.problems else None
    )


class TaxiiRoute(APIRoute):
    """Answers every failure of a TAXII endpoint (its dependencies included) as TAXII JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except TaxiiError as exc:
                return exc.response()
            except RengoError as exc:
                return _from_rengo(exc).response()
            except Exception:
                request_id = getattr(request.state, "request_id", "-")
                log.exception(
                    "TAXII request %s %s failed (%s)", request.method, request.url.path, request_id
                )
                return TaxiiError(
                    500, "Internal error", f"logged as request {request_id}"
                ).response()

        return guarded


router = APIRouter(prefix="/taxii2", tags=["taxii"], route_class=TaxiiRoute)
BODY_LIMITS = {
    router.prefix + "/": lambda settings: settings.section(IntelSettings).taxii_max_content_length
}


def taxii_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return Response(content, status, headers=headers, media_type=MEDIA_TAXII)


# -- content negotiation and authentication -------------------------------------------


def _media_ok(value: str, *, allow_stix: bool) -> bool:
    """Does one media range of Accept/Content-Type name TAXII 2.1 (or STIX 2.1, or a wildcard)?"""
    parts = [p.strip().lower() for p in value.split(";")]
    kind, params = parts[0], dict(p.partition("=")[::2] for p in parts[1:] if "=" in p)
    version = params.get("version", "").strip()
    if kind in ("*/*", "application/*"):
        return True
    wanted = {"application/taxii+json"} | ({"application/stix+json"} if allow_stix else set())
    return kind in wanted and version in ("", "2.1")


def check_accept(request: Request, *, allow_stix: bool = False) -> None:
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return
    if not any(_media_ok(r, allow_stix=allow_stix) for r in accept.split(",")):
        raise TaxiiError(
            406,
            "Not acceptable",
            f"this server answers {MEDIA_TAXII}; the Accept header asked for {accept!r}",
        )


def taxii_principal(request: Request, session: Session) -> Principal:
    caller = get_caller(request, session, request.headers.get(CSRF_HEADER))
    return caller.principal


def _require_collection(session: Session, principal: Principal, ident: str) -> IntelCollection:
    try:
        collection: IntelCollection = colls.get_collection(session, principal, ident)
    except NotFound:
        if not principal.is_authenticated:
            raise TaxiiError(401, "Authentication required", "send a ward API token") from None
        raise TaxiiError(404, "Collection not found", f"no collection {ident!r} for you") from None
    return collection


def _require_read(principal: Principal, collection: IntelCollection) -> None:
    if not colls.can_read(principal, collection):
        raise TaxiiError(403, "Forbidden", "you may not read this collection")


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    maximum = get_runtime(request).settings.section(IntelSettings).taxii_page_max
    if raw is None or raw == "":
        return maximum
    if not raw.isdigit() or int(raw) < 1:
        raise TaxiiError(
            400,
            "Bad request",
            "limit must be a positive integer",
            {"problems": [{"location": "query limit", "message": raw}]},
        )
    return min(int(raw), maximum)


def _added_headers(page: store.ObjectPage) -> dict[str, str]:
    headers = {}
    if page.first_added is not None and page.last_added is not None:
        headers["X-TAXII-Date-Added-First"] = timestamps.format(page.first_added)
        headers["X-TAXII-Date-Added-Last"] = timestamps.format(page.last_added)
    return headers


def _audit_original_read(
    session: Session,
    request: Request,
    principal: Principal,
    collection: IntelCollection,
    count: int,
) -> None:
    """A read of a ward's own collection (raw originals) by anyone is audited."""
    if collection.kind == "ward" and count:
        audit.record(
            session,
            principal,
            "intel.original.read",
            object_type="intel_collection",
            object_id=collection.alias,
            object_tenant=collection.owner,
            detail={"objects": count, "via": "taxii"},
            client=client_address(request),
        )


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- discovery, API root, status ----------------------------------------------------------


@router.get("/", summary="TAXII 2.1 server discovery")
def discovery(request: Request, session: SessionDep) -> Response:
    check_accept(request)
    taxii_principal(request, session)
    return taxii_response(
        {
            "title": "rengo TAXII 2.1 — 特別区共同脅威情報共有",
            "description": (
                "Threat intelligence shared by Tokyo's 23 special wards and their joint centre."
            ),
            "contact": "joint SOC of the 23 special wards",
            "default": f"{_base(request)}{ROOT_PATH}",
            "api_roots": [f"{_base(request)}{ROOT_PATH}"],
        }
    )


@router.get(f"/{API_ROOT}/", summary="TAXII 2.1 API root information")
def api_root(request: Request, session: SessionDep) -> Response:
    check_accept(request)
    taxii_principal(request, session)
    settings = get_runtime(request).settings
    return taxii_response(
        {
            "title": "rengo",
            "description": "Collections of the 23 wards' intelligence hub.",
            "versions": [MEDIA_TAXII],
            "max_content_length": settings.section(IntelSettings).taxii_max_content_length,
        }
    )


def status_body(status: IntelStatus) -> dict[str, Any]:
    return {
        "id": status.id,
        "status": status.status,
        "request_timestamp": timestamps.format(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": status.success_count,
        "successes": status.successes,
        "failure_count": status.failure_count,
        "failures": status.failures,
        "pending_count": status.pending_count,
        "pending": [],
    }


@router.get(f"/{API_ROOT}/status/{{status_id}}/", summary="Status of an add-objects request")
def get_status(status_id: str, request: Request, session: SessionDep) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    if not principal.is_authenticated:
        raise TaxiiError(401, "Authentication required", "send a ward API token")
    status = session.get(IntelStatus, status_id)
    if status is None or not allows(principal, "intel.read", status.tenant):
        raise TaxiiError(404, "Status not found", f"no status {status_id!r} for you")
    return taxii_response(status_body(status))


# -- collections ------------------------------------------------------------------------


def collection_body(collection: IntelCollection, principal: Principal) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": colls.can_read(principal, collection),
        "can_write": colls.can_write(principal, collection),
        "media_types": [MEDIA_STIX],
    }


@router.get(f"/{API_ROOT}/collections/", summary="The collections you may read or write")
def list_collections(request: Request, session: SessionDep) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    visible = colls.visible_collections(session, principal)
    if not visible and not principal.is_authenticated:
        raise TaxiiError(401, "Authentication required", "send a ward API token")
    body = {"collections": [collection_body(c, principal) for c in visible]} if visible else {}
    return taxii_response(body)


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/", summary="One collection")
def get_collection(collection_id: str, request: Request, session: SessionDep) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    return taxii_response(collection_body(collection, principal))


@router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/", summary="Manifest of objects")
def get_manifest(collection_id: str, request: Request, session: SessionDep) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    _require_read(principal, collection)
    params = dict(request.query_params)
    page = _page(
        session, request, collection, principal, store.parse_filter(params), store.MANIFEST_COLUMNS
    )
    body: dict[str, Any] = {"more": page.more}
    if page.next_cursor:
        body["next"] = page.next_cursor
    if page.items:
        body["objects"] = [
            {
                "id": r.stix_id,
                "date_added": timestamps.format(r.date_added),
                "version": r.version,
                "media_type": f"application/stix+json;version={r.spec_version}",
            }
            for r in page.items
        ]
    return taxii_response(body, headers=_added_headers(page))


def _page(
    session: Session,
    request: Request,
    collection: IntelCollection,
    principal: Principal,
    f: store.ObjectFilter,
    columns: Any = (IntelObject.body, IntelObject.date_added),
) -> store.ObjectPage:
    token = request.query_params.get("next")
    after = store.decode_next(token) if token else None
    return store.select_page(
        session, collection.id, principal, f, limit=_limit(request), after=after, columns=columns
    )


def _envelope(page: store.ObjectPage) -> bytes:
    """The envelope as bytes: stored object JSON is joined, never re-serialised."""
    head = '{"more":' + ("true" if page.more else "false")
    if page.next_cursor:
        head += ',"next":' + json.dumps(page.next_cursor)
    if page.items:
        head += ',"objects":[' + ",".join(r.body for r in page.items) + "]"
    return (head + "}").encode()


@router.get(
    f"/{API_ROOT}/collections/{{collection_id}}/objects/", summary="Objects of a collection"
)
def get_objects(collection_id: str, request: Request, session: SessionDep) -> Response:
    check_accept(request, allow_stix=True)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    _require_read(principal, collection)
    page = _page(
        session, request, collection, principal, store.parse_filter(dict(request.query_params))
    )
    _audit_original_read(session, request, principal, collection, len(page.items))
    return taxii_response(_envelope(page), headers=_added_headers(page))


ENVELOPE_MAX_DEPTH = 100
"""STIX objects nest a few levels; far beyond this is an attack on the parser."""


def _read_envelope(request: Request, body: bytes) -> list[Any]:
    content_type = request.headers.get("content-type", "")
    if not _media_ok(content_type, allow_stix=True) or content_type.strip().startswith("*"):
        raise TaxiiError(
            415,
            "Unsupported media type",
            f"send the envelope as {MEDIA_TAXII}, not {content_type!r}",
        )
    if deeper_than(body, ENVELOPE_MAX_DEPTH):  # json.loads would recurse past the stack
        raise TaxiiError(
            422, "Unprocessable envelope", f"nested deeper than {ENVELOPE_MAX_DEPTH} levels"
        )
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TaxiiError(400, "Bad request", f"the body is not JSON: {exc}") from None
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise TaxiiError(
            422, "Unprocessable envelope", 'send an envelope: {"objects": [ …STIX 2.1 objects… ]}'
        )
    return objects


@router.post(
    f"/{API_ROOT}/collections/{{collection_id}}/objects/",
    summary="Add objects (answered with a status resource; stored before the answer)",
    status_code=202,
)
async def add_objects(collection_id: str, request: Request, session: SessionDep) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    runtime = get_runtime(request)
    limit = runtime.settings.section(IntelSettings).taxii_max_content_length
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TaxiiError(413, "Request entity too large", f"at most {limit} bytes")
    collection = _require_collection(session, principal, collection_id)
    if not colls.can_write(principal, collection):
        raise TaxiiError(403, "Forbidden", "you may not write to this collection")
    body = await request.body()
    if len(body) > limit:
        raise TaxiiError(413, "Request entity too large", f"at most {limit} bytes")
    objects = _read_envelope(request, body)
    now = runtime.clock.now()
    default = TLP.AMBER_STRICT if collection.kind == "ward" else None
    result = ingest(
        session,
        runtime.settings,
        principal,
        collection,
        objects,
        now=now,
        source="taxii",
        default_tlp=default,
        client=client_address(request),
    )
    if collection.kind == "ward" and result.added:
        by = Acting(session, principal, now, runtime.settings, client_address(request))
        stored = [json.loads(r["body"]) for r in result.added]
        submissions.from_stored_bundle(by, stored, channel="taxii")
    status = IntelStatus(
        id=str(uuid.uuid4()),
        tenant=principal.tenant,
        status="complete",
        request_timestamp=now,
        total_count=result.total,
        success_count=len(result.successes),
        failure_count=len(result.failures),
        pending_count=0,
        successes=result.successes,
        failures=result.failures,
    )
    session.add(status)
    session.flush()
    return taxii_response(status_body(status), 202)


def _object_filter(request: Request, object_id: str, allow: tuple[str, ...]) -> store.ObjectFilter:
    f = store.parse_filter(dict(request.query_params), allow=allow)
    f.ids = [object_id]
    return f


@router.get(
    f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/", summary="One object"
)
def get_object(
    collection_id: str, object_id: str, request: Request, session: SessionDep
) -> Response:
    check_accept(request, allow_stix=True)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    _require_read(principal, collection)
    page = _page(
        session,
        request,
        collection,
        principal,
        _object_filter(request, object_id, ("version", "spec_version")),
    )
    if not page.items and not request.query_params.get("next"):
        raise TaxiiError(404, "Object not found", f"no {object_id!r} in this collection for you")
    _audit_original_read(session, request, principal, collection, len(page.items))
    return taxii_response(_envelope(page), headers=_added_headers(page))


@router.delete(
    f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/", summary="Delete an object"
)
def delete_object(
    collection_id: str, object_id: str, request: Request, session: SessionDep
) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    _require_read(principal, collection)
    if not (
        colls.can_write(principal, collection)
        and allows(principal, "intel.delete", collection.owner)
    ):
        raise TaxiiError(403, "Forbidden", "you may not delete objects of this collection")
    f = store.parse_filter(dict(request.query_params), allow=("version", "spec_version"))
    if request.query_params.get("match[version]") is None:
        f.versions = ["all"]
    if not withdraw(session, principal, collection, object_id, f, client=client_address(request)):
        raise TaxiiError(404, "Object not found", f"no {object_id!r} in this collection for you")
    return Response(status_code=200, media_type=MEDIA_TAXII, content=b"")


@router.get(
    f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/",
    summary="Versions of one object",
)
def get_versions(
    collection_id: str, object_id: str, request: Request, session: SessionDep
) -> Response:
    check_accept(request)
    principal = taxii_principal(request, session)
    collection = _require_collection(session, principal, collection_id)
    _require_read(principal, collection)
    f = _object_filter(request, object_id, ("spec_version",))
    f.versions = ["all"]
    page = _page(
        session, request, collection, principal, f, (IntelObject.version, IntelObject.date_added)
    )
    if not page.items and not request.query_params.get("next"):
        raise TaxiiError(404, "Object not found", f"no {object_id!r} in this collection for you")
    body: dict[str, Any] = {"more": page.more, "versions": [r.version for r in page.items]}
    if page.next_cursor:
        body["next"] = page.next_cursor
    return taxii_response(body, headers=_added_headers(page))


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
    include_in_schema=False,
)
def not_found(rest: str, request: Request) -> Response:
    """Unknown TAXII paths and wrong methods answer as TAXII errors, never as HTML."""
    if request.method != "DELETE" and not request.url.path.endswith("/"):
        target = request.url.path + "/" + (f"?{request.url.query}" if request.url.query else "")
        return Response(status_code=308, headers={"Location": target}, media_type=MEDIA_TAXII)
    for route in router.routes:
        if route is request.scope.get("route") or not isinstance(route, APIRoute):
            continue
        match, _ = route.matches(request.scope)
        if match is Match.PARTIAL:
            raise TaxiiError(405, "Method not allowed", f"{request.method} is not allowed here")
    raise TaxiiError(404, "Not found", f"no TAXII resource at {request.url.path}")
