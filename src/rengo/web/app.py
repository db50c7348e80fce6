"""The FastAPI application: pages, the JSON API, errors that never show a traceback.

``create_app`` finds every module in ``rengo.web.api`` and ``rengo.web.pages`` and mounts
its ``router``; a module may also offer ``NAV`` (menu entries), ``EXCEPTION_HANDLERS``
(``{ExceptionClass: handler}``), ``LIFESPAN`` (an async context manager factory taking
the app, for background services), ``BODY_LIMITS`` (``{path: settings -> bytes}``, see
``rengo.web.bodies``) and ``HEALTH`` (``{name: runtime -> (ready, detail)}``: reported by
``/healthz`` and ``/readyz``, which answers 503 while one is not ready).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rengo import __version__
from rengo.core.errors import RengoError, Unauthenticated, validation_problem
from rengo.core.permissions import ANONYMOUS
from rengo.core.runtime import Runtime
from rengo.domains import load_domains
from rengo.web import api as api_package
from rengo.web import errors, i18n, nav
from rengo.web import pages as pages_package
from rengo.web.bodies import BodyLimits
from rengo.web.deps import LANGUAGE_COOKIE, Caller
from rengo.web.i18n import N_, _

log = logging.getLogger("rengo.web")
STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; frame-ancestors 'none'"
)
# Swagger UI starts itself with an inline script.
CSP_DOCS = CSP.replace(b"script-src 'self'", b"script-src 'self' 'unsafe-inline'")


class LanguageAndHeaders:
    """Pick the language (?lang=, cookie, setting) for the request; add security headers."""

    def __init__(self, app: ASGIApp, default_language: str) -> None:
        self.app, self.default_language = app, default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        i18n.set_language(language if language in i18n.LANGUAGES else self.default_language)
        scope.setdefault("state", {})["request_id"] = uuid.uuid4().hex[:12]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    csp = CSP_DOCS if scope["path"] == "/docs" else CSP
                    headers.append((b"content-security-policy", csp))
                headers.append((b"content-language", i18n.current_language().encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/taxii2/", "/healthz", "/readyz")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _problem_body(
    code: str, message: str, problems: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {"error": code, "message": message, "problems": problems or []}


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    from rengo.web.templating import render

    caller: Caller = getattr(request.state, "caller", None) or Caller(ANONYMOUS)
    return render(
        request,
        caller,
        "error.html",
        {"status": status, "title": title, "message": message},
        status_code=status,
    )


async def _rengo_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RengoError)
    if isinstance(exc, Unauthenticated) and not wants_json(request):
        target = quote(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if wants_json(request):
        problems = [{"location": p.location, "message": p.message} for p in exc.problems]
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            _problem_body(exc.code, exc.message, problems), exc.status_code, headers=headers
        )
    return _error_page(request, exc.status_code, exc.code, errors.error_text(exc))


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        return f"{parts[0]} " + ".".join(parts[1:]) if len(parts) > 1 else parts[0]
    return ".".join(parts)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        body = [
            {"location": _location(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return JSONResponse(_problem_body("invalid", "invalid request", body), 422)
    problems = [validation_problem(e, _location(tuple(e.get("loc", ())))) for e in exc.errors()]
    text_ = "\n".join([_("The request was not valid."), *map(errors.problem_text, problems)])
    return _error_page(request, 422, "invalid", text_)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail) if exc.detail else "error"
    if wants_json(request):
        return JSONResponse(
            _problem_body("http_error", message), exc.status_code, headers=exc.headers
        )
    return _error_page(request, exc.status_code, str(exc.status_code), _(message))


async def _unexpected(request: Request, exc: Exception) -> Response:
    request_id = getattr(request.state, "request_id", "-")
    log.exception(
        "unhandled error on %s %s (request %s)", request.method, request.url.path, request_id
    )
    message = N_("An unexpected error occurred; it was logged as request {request_id}.")
    if wants_json(request):
        return JSONResponse(_problem_body("internal", message.format(request_id=request_id)), 500)
    return _error_page(request, 500, "internal", _(message).format(request_id=request_id))


def _modules(package: Any) -> list[Any]:
    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        found.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return found


LifespanFactory = Callable[[FastAPI], Any]
ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]
HealthCheck = Callable[[Runtime], tuple[bool, dict[str, Any]]]


def _health(runtime: Runtime, checks: dict[str, HealthCheck]) -> tuple[int, dict[str, Any]]:
    """(503 when the database or a component is not ready else 200, the report)."""
    try:
        with runtime.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # report, never raise: this is what monitors poll
        return 503, {"status": "error", "database": type(exc).__name__}
    report: dict[str, Any] = {"status": "ok", "database": runtime.db.dialect}
    ready = True
    for name, check in checks.items():
        try:
            ok, detail = check(runtime)
        except Exception as exc:
            log.exception("health check %s failed", name)
            ok, detail = False, {"error": type(exc).__name__}
        report[name] = {"ready": ok, **detail}
        ready = ready and ok
    if not ready:
        report["status"] = "degraded"
    return (200 if ready else 503), report


def create_app(runtime: Runtime) -> FastAPI:
    load_domains()
    modules = _modules(api_package) + _modules(pages_package)
    lifespans: list[LifespanFactory] = [m.LIFESPAN for m in modules if hasattr(m, "LIFESPAN")]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for factory in lifespans:
                await stack.enter_async_context(factory(app))
            yield

    app = FastAPI(
        title="rengo API",
        version=__version__,
        description=(
            "The JSON API of rengo (連合), the shared platform of Tokyo's 23 special wards. "
            "Authenticate with `Authorization: Bearer <token>` (`rengo token create`). "
            "A ward's token sees its own ward; the joint centre's sees every ward."
        ),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    body_limits = {p: f for m in modules for p, f in getattr(m, "BODY_LIMITS", {}).items()}
    health_checks: dict[str, HealthCheck] = {
        n: c for m in modules for n, c in getattr(m, "HEALTH", {}).items()
    }
    app.add_middleware(BodyLimits, settings=runtime.settings, by_path=body_limits)
    app.add_middleware(LanguageAndHeaders, default_language=runtime.settings.default_language)
    app.add_exception_handler(RengoError, _rengo_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    for module in modules:
        handlers: dict[type[Exception], ExceptionHandler] = getattr(
            module, "EXCEPTION_HANDLERS", {}
        )
        for exc_class, handler in handlers.items():
            app.add_exception_handler(exc_class, handler)
        if hasattr(module, "router"):
            app.include_router(module.router)
        nav.add(getattr(module, "NAV", []))

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="rengo API",
            swagger_js_url="/static/vendor/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get(
        "/healthz",
        tags=["health"],
        summary="Liveness: the database answers (503 if not); components reported, "
        "status degraded while one is not ready",
    )
    def healthz() -> JSONResponse:
        _ready, report = _health(runtime, health_checks)
        return JSONResponse(report, 503 if report["status"] == "error" else 200)

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: 503 while the database or a component (e.g. the SOC lake "
        "writer) is not ready, with the reasons",
    )
    def readyz() -> JSONResponse:
        status, report = _health(runtime, health_checks)
        return JSONResponse(report, status)

    return app
