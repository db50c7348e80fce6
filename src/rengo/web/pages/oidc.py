"""Log in with the government SSO (OpenID Connect), beside local accounts.

``/login/oidc`` sends the browser to the provider with state, nonce and a PKCE challenge
(kept by the browser in an encrypted, short-lived cookie); ``/login/oidc/callback`` checks
them, exchanges the code and logs the named existing account in, through the same steps as
a password (the TOTP code or enrolment follow unless ``auth.oidc.satisfies_mfa``).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from rengo.core import oidc
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, client_address, secure_cookies
from rengo.web.errors import error_message
from rengo.web.i18n import N_
from rengo.web.pages.auth import audit_failure, finish_login, safe_next
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
# ``oidc.REASONS``, said in the reader's language.
REASONS = (
    N_("the login took too long or did not start here; start again"),
    N_("the answer does not belong to this login; start again"),
    N_("the identity provider did not log you in"),
    N_("single sign-on is not configured"),
    N_("the identity provider did not answer"),
    N_("the identity provider's configuration is incomplete"),
    N_("the identity provider refused the code"),
    N_("the identity provider sent no id token"),
    N_("the id token is not valid"),
    N_("the id token has no usable claim for the account"),
    N_("the provider has not verified the e-mail address"),
)
PENDING_COOKIE = "rengo_oidc"
CALLBACK = "/login/oidc/callback"


def _redirect_uri(request: Request, runtime: RuntimeDep) -> str:
    configured = runtime.settings.auth.oidc.redirect_url
    return configured or str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
def oidc_start(
    request: Request, caller: CallerDep, runtime: RuntimeDep, next: str = "/"
) -> Response:
    try:
        provider = oidc.provider(runtime.settings)
        url, pending = provider.start(_redirect_uri(request, runtime), safe_next(next))
    except oidc.OidcError as error:
        return render(
            request, caller, "login.html", {"error": error_message(error), "next": "/"}, 503
        )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        oidc.seal(runtime.settings, pending),
        max_age=oidc.PENDING_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=secure_cookies(request, runtime.settings),
        path=CALLBACK,
    )
    return response


@router.get(CALLBACK, name="oidc_callback")
def oidc_callback(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    session: SessionDep,
    code: str = "",
    state: str = "",
    error: str = "",
) -> Response:
    settings = runtime.settings
    now = runtime.clock.now()
    client = client_address(request)
    claimed = ""
    try:
        pending = oidc.unseal(settings, request.cookies.get(PENDING_COOKIE, ""), now)
        if not state or not hmac.compare_digest(state, pending.state):
            raise oidc.fail("the answer does not belong to this login; start again")
        if error or not code:
            raise oidc.fail("the identity provider did not log you in")
        provider = oidc.provider(settings)
        claims = provider.finish(code, _redirect_uri(request, runtime), pending, now)
        claimed = str(claims.get(settings.auth.oidc.claim, ""))[:64]
        user = oidc.account_for(session, settings, claims)
    except oidc.OidcError as failure:
        reason = error_message(failure)
        audit_failure(
            session, "login.failed", claimed or "(sso)", f"sso: {failure.message}", client, runtime
        )
        page = render(request, caller, "login.html", {"error": reason, "next": "/"}, 401)
        page.delete_cookie(PENDING_COOKIE, path=CALLBACK)
        return page
    detail = {"method": "oidc", "subject": str(claims.get("sub", ""))[:128]}
    response = finish_login(request, session, runtime, user, pending.target, detail)
    response.delete_cookie(PENDING_COOKIE, path=CALLBACK)
    return response
