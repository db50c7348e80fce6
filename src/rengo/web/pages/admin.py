"""Administration pages: the audit log, and each user's own API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from rengo.core import audit
from rengo.core.errors import NotFound
from rengo.core.identity import ApiToken, create_token, revoke_token
from rengo.core.permissions import require, visible_tenants
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("admin", N_("Audit log"), "/admin/audit", "audit.read", order=10),
    NavItem("admin", N_("My API tokens"), "/account/tokens", "tokens.self", order=20),
]
PAGE = 100


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
    return render(
        request, caller, "admin/audit.html",
        {"events": events[:PAGE], "more": len(events) > PAGE, "page_no": page,
         "action": qp.get("action", ""), "actor": qp.get("actor", "")},
    )  # fmt: skip


def _tokens_page(
    request: Request, caller: CallerDep, session: SessionDep, new: str | None = None
) -> HTMLResponse:
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == caller.principal.user_id)
        .order_by(ApiToken.id.desc())
    ).all()
    return render(request, caller, "account/tokens.html", {"tokens": rows, "new_token": new})


@router.get("/account/tokens", response_class=HTMLResponse)
def tokens(
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
        token, plaintext = create_token(
            session, tenant=principal.tenant, role=principal.role.value, name=name,
            user_id=principal.user_id, created_by=principal.username or "",
            expires_at=runtime.clock.now() + timedelta(days=90),
        )  # fmt: skip
        audit.record(session, principal, "token.create", object_type="token", object_id=token.id,
                     object_tenant=token.tenant, client=client_address(request))  # fmt: skip
        return _tokens_page(request, caller, session, plaintext)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    token_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    require(principal, "tokens.self")
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != principal.user_id:
        raise NotFound(f"token {token_id} not found")
    revoke_token(session, token_id)
    audit.record(session, principal, "token.revoke", object_type="token", object_id=token_id,
                 object_tenant=token.tenant, client=client_address(request))  # fmt: skip
    return RedirectResponse("/account/tokens", status_code=303)
