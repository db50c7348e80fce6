"""Log in (password, then a TOTP code when the account has one), log out, choose the language.

Every outcome is audited: ``login``, ``login.failed`` (wrong password, unknown user or
throttled), ``login.mfa_failed``, ``logout``. A failed login names the account tried in
the detail and, when that account exists, its ward, so that ward's auditors see it.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit, login_throttle, mfa
from rengo.core.errors import RengoError, TooManyAttempts
from rengo.core.identity import (
    PENDING_MINUTES,
    SESSION_ENROL,
    SESSION_FULL,
    SESSION_MFA,
    Passwords,
    User,
    authenticate,
    end_session,
    needs_mfa,
    session_for_cookie,
    start_session,
)
from rengo.core.permissions import ANONYMOUS
from rengo.core.runtime import Runtime
from rengo.web.deps import (
    ENROLMENT_PATH,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CallerDep,
    MfaEnrolmentRequired,
    RuntimeDep,
    SessionDep,
    client_address,
    secure_cookies,
)
from rengo.web.errors import error_message
from rengo.web.i18n import LANGUAGES, _
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
CODE_PATH = "/login/code"


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect a user to another site after login."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def set_session_cookie(
    request: Request, response: Response, runtime: Runtime, raw: str, stage: str
) -> None:
    settings = runtime.settings
    lasts = settings.web.session_hours * 3600 if stage == SESSION_FULL else PENDING_MINUTES * 60
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        max_age=int(lasts),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request, settings),
    )


def finish_login(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    target: str,
    detail: dict[str, str],
) -> Response:
    """After the first factor (a password or SSO): the code step, enrolment or a session."""
    settings = runtime.settings
    skip_code = detail.get("method") == "oidc" and settings.auth.oidc.satisfies_mfa
    if mfa.is_enrolled(session, user.id) and not skip_code:
        stage, location = SESSION_MFA, f"{CODE_PATH}?next={quote(safe_next(target))}"
    elif needs_mfa(user, settings) and not skip_code:
        stage, location = SESSION_ENROL, ENROLMENT_PATH
    else:
        stage, location = SESSION_FULL, safe_next(target)
    response = RedirectResponse(location, status_code=303)
    open_session(request, session, runtime, user, stage, response, detail)
    return response


def open_session(
    request: Request,
    session: Session,
    runtime: Runtime,
    user: User,
    stage: str,
    response: Response,
    detail: dict[str, str],
) -> None:
    """A new session at ``stage``, its cookie set on ``response``, audited.

    Always a new id: the session of an earlier step (or an earlier login) ends.
    """
    now = runtime.clock.now()
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        end_session(session, old)
    raw, _web_session = start_session(session, user, runtime.settings, now, stage)
    audit.record(
        session,
        user.principal(),
        "login" if stage == SESSION_FULL else "login.password_ok",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        detail=detail if stage == SESSION_FULL else detail | {"next_step": stage},
        client=client_address(request),
        at=now,
    )
    set_session_cookie(request, response, runtime, raw, stage)


def audit_failure(
    session: Session, action: str, username: str, reason: str, client: str, runtime: Runtime
) -> None:
    user = session.scalar(select(User).where(User.username == username[:64]))
    audit.record(
        session,
        user.principal() if user is not None else ANONYMOUS,
        action,
        object_type="user",
        object_id=user.id if user is not None else "",
        object_tenant=user.tenant if user is not None else None,
        detail={"username": username[:64], "reason": reason},
        client=client,
        at=runtime.clock.now(),
    )


@router.get("/login")
def login_form(
    request: Request, caller: CallerDep, runtime: RuntimeDep, next: str = "/"
) -> Response:
    oidc = runtime.settings.auth.oidc
    return render(
        request,
        caller,
        "login.html",
        {"next": safe_next(next), "oidc_label": oidc.label if oidc.enabled else ""},
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    username: Annotated[str, Form(max_length=256)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    settings = runtime.settings
    client = client_address(request)
    context = {"next": safe_next(next), "username": username}
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
    except TooManyAttempts as error:
        audit_failure(session, "login.failed", username, "throttled", client, runtime)
        message = _("Too many failed logins. Wait a while and try again.")
        context["error"] = f"{message} {error_message(error)}"
        return render(request, caller, "login.html", context, 429)
    if user is None:
        audit_failure(
            session, "login.failed", username, "wrong user name or password", client, runtime
        )
        context["error"] = _("User name or password is wrong.")
        return render(request, caller, "login.html", context, 401)
    return finish_login(request, session, runtime, user, next, {"method": "password"})


def _pending_user(request: Request, session: Session, runtime: Runtime) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    found = session_for_cookie(session, raw, runtime.clock.now()) if raw else None
    if found is None or found[1].stage != SESSION_MFA:
        return None
    return found[0]


@router.get(CODE_PATH, response_model=None)
def code_form(
    request: Request, caller: CallerDep, runtime: RuntimeDep, session: SessionDep, next: str = "/"
) -> Response:
    if _pending_user(request, session, runtime) is None:
        return RedirectResponse("/login", status_code=303)
    return render(request, caller, "login_code.html", {"next": safe_next(next)})


@router.post(CODE_PATH, response_model=None)
def code_submit(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    code: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=2048)] = "/",
) -> Response:
    user = _pending_user(request, session, runtime)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    settings = runtime.settings
    client = client_address(request)
    now = runtime.clock.now()
    context = {"next": safe_next(next)}
    try:
        login_throttle.check(session, settings, username=user.username, client=client, now=now)
    except TooManyAttempts as error:
        audit_failure(session, "login.mfa_failed", user.username, "throttled", client, runtime)
        message = _("Too many failed logins. Wait a while and try again.")
        context["error"] = f"{message} {error_message(error)}"
        return render(request, caller, "login_code.html", context, 429)
    used = mfa.verify(session, settings, user, code, now)
    login_throttle.record(
        session, username=user.username, client=client, at=now, success=bool(used)
    )
    if not used:
        audit_failure(session, "login.mfa_failed", user.username, "wrong code", client, runtime)
        context["error"] = _("The code is wrong or was already used. Enter the current code.")
        return render(request, caller, "login_code.html", context, 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    detail = {"method": "password", "mfa": used}
    open_session(request, session, runtime, user, SESSION_FULL, response, detail)
    return response


@router.post("/logout")
def logout(
    request: Request, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    raw = request.cookies.get(SESSION_COOKIE)
    found = session_for_cookie(session, raw, runtime.clock.now()) if raw else None
    if raw:
        end_session(session, raw)
    if found is not None:
        user = found[0]
        audit.record(
            session,
            user.principal(),
            "logout",
            object_type="user",
            object_id=user.id,
            object_tenant=user.tenant,
            client=client_address(request),
            at=runtime.clock.now(),
        )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{language}")
def choose_language(
    request: Request, language: str, runtime: RuntimeDep, next: str = "/"
) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 86400,
            samesite="lax",
            secure=secure_cookies(request, runtime.settings),
        )
    return response


async def _to_enrolment(request: Request, exc: Exception) -> Response:
    """Pages go to enrolment; the API answers 403 as for any ``RengoError``."""
    accept = request.headers.get("accept", "")
    if request.url.path.startswith(("/api/", "/taxii2/")) or (
        "application/json" in accept and "text/html" not in accept
    ):
        handler = request.app.exception_handlers[RengoError]
        response: Response = await handler(request, exc)
        return response
    return RedirectResponse(ENROLMENT_PATH, status_code=303)


EXCEPTION_HANDLERS = {MfaEnrolmentRequired: _to_enrolment}
