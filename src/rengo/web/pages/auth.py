"""Log in, log out, choose the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rengo.core import audit
from rengo.core.errors import TooManyAttempts
from rengo.core.identity import Passwords, authenticate, end_session, start_session
from rengo.web.deps import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    RuntimeDep,
    SessionDep,
    client_address,
)
from rengo.web.i18n import LANGUAGES, _
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_form(request: Request, caller: CallerDep, next: str = "/") -> HTMLResponse:
    return render(request, caller, "login.html", {"next": _safe_next(next)})


@router.post("/login", response_model=None)
def login(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = runtime.settings
    client = client_address(request)
    try:
        user = authenticate(
            session,
            Passwords.from_settings(settings),
            settings,
            username=username,
            password=password,
            client=client,
            now=runtime.clock.now(),
        )
    except TooManyAttempts:
        message = _("Too many failed logins. Wait a while and try again.")
        return render(
            request,
            caller,
            "login.html",
            {"error": message, "next": _safe_next(next), "username": username},
            429,
        )
    if user is None:
        message = _("User name or password is wrong.")
        return render(
            request,
            caller,
            "login.html",
            {"error": message, "next": _safe_next(next), "username": username},
            401,
        )
    raw, _web_session = start_session(session, user, settings, runtime.clock.now())
    audit.record(
        session,
        user.principal(),
        "login",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        client=client,
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(settings.web.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.web.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request, caller: CallerDep, session: SessionDep) -> RedirectResponse:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        end_session(session, raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{language}")
def choose_language(language: str, runtime: RuntimeDep, next: str = "/") -> RedirectResponse:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 86400,
            samesite="lax",
            secure=runtime.settings.web.secure_cookies,
        )
    return response
