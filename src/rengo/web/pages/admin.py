"""Administration pages: the audit log, and each user's own API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rengo.core import audit, mfa, tokens, users
from rengo.core.errors import RengoError
from rengo.core.identity import Passwords
from rengo.core.permissions import STAFF_ROLES, require, visible_tenants
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_text
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("admin", N_("Users"), "/admin/users", "users.manage", order=5),
    NavItem("admin", N_("Audit log"), "/admin/audit", "audit.read", order=10),
    NavItem("admin", N_("My API tokens"), "/account/tokens", "tokens.self", order=20),
]
PAGE = 100
STAFF_ROLE_NAMES = sorted(r.value for r in STAFF_ROLES)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    qp = request.query_params
    page = int(qp["page"]) if qp.get("page", "").isdigit() else 1
    events = audit.query(
        session,
        tenants=visible_tenants(principal, "audit.read"),
        action=qp.get("action") or None,
        actor=qp.get("actor") or None,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    audit.record_read(
        session,
        principal,
        "audit.read",
        object_type="audit_log",
        rows=min(len(events), PAGE),
        client=client_address(request),
    )
    return render(
        request,
        caller,
        "admin/audit.html",
        {
            "events": events[:PAGE],
            "more": len(events) > PAGE,
            "page_no": page,
            "action": qp.get("action", ""),
            "actor": qp.get("actor", ""),
        },
    )


def _tokens_page(
    request: Request, caller: CallerDep, session: SessionDep, new: str | None = None
) -> HTMLResponse:
    rows = tokens.own_tokens(session, caller.principal)
    return render(request, caller, "account/tokens.html", {"tokens": rows, "new_token": new})


@router.get("/account/tokens", response_class=HTMLResponse)
def token_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    require(principal, "tokens.self")
    return _tokens_page(request, caller, session)


@router.post("/account/tokens", response_class=HTMLResponse)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    require(principal, "tokens.self")
    form = await request.form()
    name = str(form.get("name") or "").strip()[:128] or "token"
    with runtime.db.session() as session:
        _token, plaintext = tokens.create_own_token(
            session,
            principal,
            name=name,
            expires_at=runtime.clock.now() + timedelta(days=90),
            client=client_address(request),
        )
        return _tokens_page(request, caller, session, plaintext)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    token_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    require(principal, "tokens.self")
    tokens.revoke_own_token(session, principal, token_id, client=client_address(request))
    return RedirectResponse("/account/tokens", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    return render(
        request,
        caller,
        "admin/users.html",
        {
            "users": users.list_users(session, principal, client=client_address(request)),
            "roles": STAFF_ROLE_NAMES,
            "error": request.query_params.get("error"),
            "saved": request.query_params.get("saved"),
            "mfa_users": mfa.enrolled_user_ids(session),
        },
    )


@router.post("/admin/users", response_model=None)
async def user_create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    try:
        with runtime.db.session() as session:
            users.add_user(
                session,
                principal,
                Passwords.from_settings(runtime.settings),
                username=str(form.get("username") or "").strip(),
                password=str(form.get("password") or ""),
                tenant=str(form.get("ward") or principal.tenant),
                role=str(form.get("role") or ""),
                display_name=str(form.get("display_name") or ""),
                email=str(form.get("email") or ""),
                client=client_address(request),
            )
    except RengoError as error:
        with runtime.db.session() as session:
            return render(
                request,
                caller,
                "admin/users.html",
                {
                    "users": users.list_users(session, principal),
                    "roles": STAFF_ROLE_NAMES,
                    "error": error_text(error),
                    "form": dict(form),
                },
                error.status_code,
            )
    return RedirectResponse("/admin/users?saved=1", status_code=303)


@router.post("/admin/users/{user_id}", response_model=None)
async def user_change(
    user_id: IdPath, request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    changes: dict[str, object] = {}
    if form.get("role"):
        changes["role"] = str(form["role"])
    if form.get("active") in ("true", "false"):
        changes["active"] = form.get("active") == "true"
    with runtime.db.session() as session:
        users.change_user(session, principal, user_id, changes, client_address(request))
    return RedirectResponse("/admin/users?saved=1", status_code=303)


@router.post("/admin/users/{user_id}/mfa-reset")
def user_mfa_reset(
    user_id: IdPath, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """Remove a user's second factor (a lost phone); they enrol again at their next login."""
    users.reset_mfa(session, principal, user_id, runtime.clock.now(), client_address(request))
    return RedirectResponse("/admin/users?saved=1", status_code=303)
