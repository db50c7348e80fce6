"""Request dependencies: the runtime, a database session, and who is asking.

Authentication is decided here once for pages and API alike:
``Authorization: Bearer <token>`` (or Basic with the token as password, or
``Token <token>`` as TAXII clients send) → the token's principal; otherwise the session
cookie → the user's principal; otherwise the anonymous public. Cookie-authenticated
requests that change something must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``).

A session whose login is half done (``identity.SESSION_MFA``: the TOTP code is still to
come) acts as the anonymous public; one that must enrol a second factor first
(``SESSION_ENROL``) reaches only the enrolment page, logout and the language switch.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from rengo.core.acting import Acting
from rengo.core.errors import Forbidden, Unauthenticated
from rengo.core.identity import (
    SESSION_ENROL,
    SESSION_FULL,
    SESSION_MFA,
    session_for_cookie,
    token_for_secret,
)
from rengo.core.permissions import ANONYMOUS, Principal
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.csirt.settings import CsirtSettings
from rengo.targets.evaluate import TargetEvaluator

SESSION_COOKIE = "rengo_session"
LANGUAGE_COOKIE = "rengo_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ENROLMENT_PATH = "/account/mfa"
ENROLMENT_ALLOWED = (ENROLMENT_PATH, "/logout", "/lang/")


class MfaEnrolmentRequired(Forbidden):
    """An account that must use a second factor has none yet (pages: go to enrolment)."""

    code = "mfa_enrolment_required"


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Cookies are Secure over HTTPS or when the public URL is https (unless set explicitly)."""
    if settings.web.secure_cookies is not None:
        return settings.web.secure_cookies
    return request.url.scheme == "https" or settings.section(
        CsirtSettings
    ).public_base_url.startswith("https:")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed before the response is sent."""
    runtime = get_runtime(request)
    with runtime.db.session() as session:
        yield session


EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _bounded_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # ISO 8601 without an offset: taken as UTC
    if not EARLIEST <= value <= LATEST:
        raise ValueError("a time between 1970 and 2200")
    return value


Timestamp = Annotated[datetime, AfterValidator(_bounded_time)]
"""A point in time from a query or body: aware (naive = UTC) and within 1970–2200."""


def _bounded_day(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError("a day between 1970 and 2200")
    return value


Day = Annotated[date, AfterValidator(_bounded_day)]
"""A calendar day from a query or body, within 1970–2200 (date arithmetic stays in range)."""

MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="Numeric id")]
"""A database id in a URL path: bounded so that no database is asked for an impossible id."""

RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def bearer_secret(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme in ("bearer", "token"):
        return value.strip() or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, _, password = decoded.partition(":")
        return password or None
    return None


async def _csrf_candidate(request: Request) -> str | None:
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal and, for logged-in users, their session's CSRF token.

    Plain values only: error pages render after the request's database session is gone.
    """

    principal: Principal
    csrf_token: str = ""
    stage: str = SESSION_FULL
    """How far the cookie's login got (``identity.SESSION_*``); full for tokens and anonymous."""


def get_caller(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str | None, Depends(_csrf_candidate)],
) -> Caller:
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    now = get_runtime(request).clock.now()
    header = request.headers.get("authorization")
    if header:
        secret = bearer_secret(header)
        token = token_for_secret(session, secret, now) if secret else None
        if token is None:
            raise Unauthenticated("invalid, expired or revoked token")
        caller = Caller(token.principal())
    else:
        caller = Caller(ANONYMOUS)
        raw = request.cookies.get(SESSION_COOKIE)
        found = session_for_cookie(session, raw, now) if raw else None
        if found is not None:
            user, web_session = found
            who = ANONYMOUS if web_session.stage == SESSION_MFA else user.principal()
            caller = Caller(who, web_session.csrf_token, web_session.stage)
            if request.method not in SAFE_METHODS and not (
                csrf and hmac.compare_digest(csrf, web_session.csrf_token)
            ):
                raise Forbidden("missing or wrong CSRF token; reload the page and try again")
            if web_session.stage == SESSION_ENROL and not request.url.path.startswith(
                ENROLMENT_ALLOWED
            ):
                raise MfaEnrolmentRequired(
                    "set up a second factor (an authenticator app) before anything else"
                )
    request.state.caller = caller
    return caller


def get_principal(caller: Annotated[Caller, Depends(get_caller)]) -> Principal:
    return caller.principal


def require_login(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    if not principal.is_authenticated:
        raise Unauthenticated("log in or send an API token")
    return principal


CallerDep = Annotated[Caller, Depends(get_caller)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
"""Whoever is asking, the anonymous public included (public pages and the open-data API)."""
UserDep = Annotated[Principal, Depends(require_login)]
"""An authenticated principal (401 for anonymous callers; pages redirect to login)."""


@dataclass(frozen=True, slots=True)
class FormPost:
    """What a page's form handler needs, as one dependency: the request, the logged-in
    caller, their principal and the runtime (rather than four parameters in every route)."""

    request: Request
    caller: Caller
    principal: Principal
    runtime: Runtime

    @property
    def client(self) -> str:
        """The client's address, for the audit entry."""
        return client_address(self.request)

    def acting(self, session: Session) -> Acting:
        """The form's change in ``session``, now, as the domain records it."""
        return Acting(
            session, self.principal, self.runtime.clock.now(), self.runtime.settings, self.client
        )


def get_form_post(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> FormPost:
    return FormPost(request, caller, principal, runtime)


FormPostDep = Annotated[FormPost, Depends(get_form_post)]


def get_acting(
    request: Request, session: SessionDep, principal: UserDep, runtime: RuntimeDep
) -> Acting:
    return Acting(
        session, principal, runtime.clock.now(), runtime.settings, client_address(request)
    )


ActingDep = Annotated[Acting, Depends(get_acting)]


def evaluator_for(app: Any) -> TargetEvaluator:
    """The app's target evaluator (its short cache is shared by all requests)."""
    evaluator: TargetEvaluator | None = getattr(app.state, "evaluator", None)
    if evaluator is None:
        runtime: Runtime = app.state.runtime
        evaluator = TargetEvaluator(runtime.db, runtime.settings, runtime.data_dir)
        app.state.evaluator = evaluator
    return evaluator


def get_evaluator(request: Request) -> TargetEvaluator:
    return evaluator_for(request.app)


EvaluatorDep = Annotated[TargetEvaluator, Depends(get_evaluator)]
