"""On-call pages: teams and who is on call, a team's settings, members in rota order, its
rota (generate, swap a shift), hand-over notes and escalation policy; pages with their
acknowledgement (in the UI, or by the link in the message); the delivery log with retries.

Every decision goes through the services (``rengo.notify.oncall``/``paging``/``deliveries``),
which ask ``rengo.core.permissions``; another ward's team answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core import audit
from rengo.core.errors import RengoError
from rengo.core.identity import User
from rengo.core.permissions import Principal, allows, visible_tenants
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, tenant_codes
from rengo.csirt.settings import CsirtSettings
from rengo.notify import deliveries, escalation, oncall, outbox, paging
from rengo.web.api.oncall import wake_worker
from rengo.web.deps import (
    CallerDep,
    FormPost,
    FormPostDep,
    IdPath,
    RuntimeDep,
    SessionDep,
    UserDep,
    client_address,
)
from rengo.web.nav import NavItem
from rengo.web.pages.csirt_forms import (
    FormError,
    float_or_none,
    int_or_none,
    jst_input,
    post_or_show,
)
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "On call", "/oncall", "csirt.oncall.read", order=25),
    NavItem("m1", "Notification log", "/oncall/deliveries", "csirt.deliveries.read", order=26),
]
SAVED = {"team": "Team created.", "1": "Saved.", "ack": "Acknowledged.", "retry": "Queued again."}


def _saved(request: Request) -> str | None:
    from rengo.web.i18n import _

    key = request.query_params.get("saved") or ""
    return _(SAVED[key]) if key in SAVED else None


def _people(session: Session, tenant: TenantCode) -> list[str]:
    """Who may be put on this tenant's teams: its active users."""
    return list(
        session.scalars(
            select(User.username)
            .where(User.tenant == tenant, User.active.is_(True))
            .order_by(User.username)
        )
    )


def _manageable_tenants(principal: Principal) -> list[str]:
    if not allows(principal, "csirt.oncall.manage"):
        return []
    return list(tenant_codes()) if principal.is_joint else [principal.tenant]


# -- overview ------------------------------------------------------------------------------


def _overview(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    *,
    error: FormError | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    now = runtime.clock.now()
    rows = [
        (
            t,
            oncall.current_shift(session, t.id, now),
            oncall.upcoming_shifts(session, t.id, now, 4),
            escalation.policy(t),
        )
        for t in oncall.teams(session, principal)
    ]
    page_rows = paging.pages(session, principal, limit=50)
    return render(
        request,
        caller,
        "csirt/oncall.html",
        {
            "teams": rows,
            "pages": page_rows,
            "kinds": oncall.TEAM_KINDS,
            "can_ack": {p.id: paging.may_acknowledge(session, principal, p) for p in page_rows},
            "tenants": _manageable_tenants(principal),
            "fe": error,
            "v": values or {},
            "can_see_log": allows(principal, "csirt.deliveries.read"),
            "channel_problems": deliveries.channel_problems(
                session, tenants=visible_tenants(principal, "csirt.deliveries.read")
            )
            if allows(principal, "csirt.deliveries.read")
            else [],
            "uses_smtp": runtime.settings.section(CsirtSettings).uses_smtp(),
            "flash": _saved(request),
        },
        status_code=error.status if error else 200,
    )


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _overview(request, caller, session, principal, runtime)


TEAM_FIELDS = ("tenant", "name", "kind", "ack_minutes")


@router.post("/oncall/teams", response_model=None)
async def create_team(post: FormPostDep) -> Response:
    def values_of(form: FormData) -> dict[str, str]:
        return {k: str(form.get(k) or "").strip() for k in TEAM_FIELDS}

    def work(session: Session, form: FormData) -> str:
        values = values_of(form)
        team = oncall.create_team(
            session,
            post.principal,
            tenant=values["tenant"] or post.principal.tenant,
            name=values["name"],
            kind=values["kind"],
            ack_minutes=int_or_none(values["ack_minutes"], "ack_minutes"),
            settings=post.runtime.settings,
        )
        return f"/oncall/teams/{team.id}?saved=team"

    def show(session: Session, form: FormData, exc: RengoError) -> HTMLResponse:
        error = FormError.of("new-team", exc)
        args = (post.request, post.caller, session, post.principal, post.runtime)
        return _overview(*args, error=error, values=values_of(form))

    return await post_or_show(post, work, show)


# -- one team ------------------------------------------------------------------------------


def _team_page(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    team_id: int,
    *,
    error: FormError | None = None,
) -> HTMLResponse:
    team = oncall.get_team(session, principal, team_id)
    now = runtime.clock.now()
    page_rows = paging.pages(session, principal, team_id=team.id, limit=20)
    return render(
        request,
        caller,
        "csirt/team.html",
        {
            "t": team,
            "now": now,
            "members": oncall.members(session, team.id),
            "people": _people(session, team.tenant)
            if allows(principal, "csirt.oncall.manage", team.tenant)
            else [],
            "shift": oncall.current_shift(session, team.id, now),
            "upcoming": oncall.upcoming_shifts(session, team.id, now, 30),
            "handovers": oncall.recent_handovers(session, team.id),
            "steps": escalation.policy(team),
            "own_policy": bool(team.escalation),
            "targets": escalation.TARGETS,
            "kinds": oncall.TEAM_KINDS,
            "pages": page_rows,
            "can_ack": {p.id: paging.may_acknowledge(session, principal, p) for p in page_rows},
            "can_manage": allows(principal, "csirt.oncall.manage", team.tenant),
            "secret_configured": (
                team.webhook_secret_name in runtime.settings.section(CsirtSettings).webhook_secrets
                if team.webhook_secret_name
                else None
            ),
            "masked_hook": outbox.masked_url(team.webhook_url),
            "fe": error,
            "flash": _saved(request),
        },
        status_code=error.status if error else 200,
    )


@router.get("/oncall/teams/{team_id}", response_class=HTMLResponse)
def team_page(
    team_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _team_page(request, caller, session, principal, runtime, team_id)


async def _team_post(
    post: FormPost, team_id: int, form_name: str, work: Callable[[Session, FormData], None]
) -> Response:
    """Run ``work`` in a transaction; a refused change shows the team page with the reason."""

    def change(session: Session, form: FormData) -> str:
        work(session, form)
        return f"/oncall/teams/{team_id}?saved=1#{form_name}"

    def show(session: Session, form: FormData, exc: RengoError) -> HTMLResponse:
        error = FormError.of(form_name, exc)
        args = (post.request, post.caller, session, post.principal, post.runtime)
        return _team_page(*args, team_id, error=error)

    return await post_or_show(post, change, show)


@router.post("/oncall/teams/{team_id}/settings", response_model=None)
async def team_settings(team_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        values: dict[str, Any] = {
            k: str(form.get(k) or "").strip()
            for k in ("name", "kind", "manager", "webhook_url", "webhook_secret_name")
        }
        values["ack_minutes"] = int_or_none(form.get("ack_minutes"), "ack_minutes")
        # The page never shows the webhook's address: empty keeps it, the box removes it.
        if form.get("remove_webhook") == "on":
            values["webhook_url"] = ""
        elif not values["webhook_url"]:
            del values["webhook_url"]
        oncall.update_team(session, post.principal, team_id, values)

    return await _team_post(post, team_id, "settings", work)


@router.post("/oncall/teams/{team_id}/members", response_model=None)
async def team_members(team_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        current = oncall.members(session, oncall.get_team(session, post.principal, team_id).id)
        name, op = str(form.get("username") or "").strip(), str(form.get("op") or "")
        if op == "add" and name and name not in current:
            current.append(name)
        elif op == "remove" and name in current:
            current.remove(name)
        elif op in ("up", "down") and name in current:
            i = current.index(name)
            j = i - 1 if op == "up" else i + 1
            if 0 <= j < len(current):
                current[i], current[j] = current[j], current[i]
        oncall.set_members(session, post.principal, team_id, current)

    return await _team_post(post, team_id, "members", work)


@router.post("/oncall/teams/{team_id}/rota", response_model=None)
async def team_rota(team_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        start = jst_input(str(form.get("start") or ""), "start") or post.runtime.clock.now()
        oncall.add_shifts(
            session,
            post.principal,
            team_id,
            usernames=None,
            start=start,
            shift_hours=float_or_none(form.get("shift_hours"), "shift_hours") or 0,
            count=int_or_none(form.get("count"), "count") or 0,
            replace=form.get("replace") == "on",
        )

    return await _team_post(post, team_id, "rota", work)


@router.post("/oncall/teams/{team_id}/shifts/{shift_id}/swap", response_model=None)
async def team_swap(
    team_id: IdPath,
    shift_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        oncall.swap_shift(
            session,
            post.principal,
            team_id,
            shift_id,
            str(form.get("username") or ""),
            post.runtime.clock.now(),
        )

    return await _team_post(post, team_id, "rota", work)


@router.post("/oncall/teams/{team_id}/handover", response_model=None)
async def team_handover(team_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        oncall.hand_over(
            session, post.principal, team_id, str(form.get("note") or ""), post.runtime.clock.now()
        )

    return await _team_post(post, team_id, "handover", work)


@router.post("/oncall/teams/{team_id}/escalation", response_model=None)
async def team_escalation(team_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        team = oncall.get_team(session, post.principal, team_id)
        steps = [s.as_dict() for s in escalation.policy(team)]
        op, index = str(form.get("op") or ""), int_or_none(form.get("index"), "index")
        if op == "reset":
            oncall.set_escalation(session, post.principal, team_id, None)
            return
        if op == "add":
            steps.append(
                {
                    "target": str(form.get("target") or ""),
                    "user": str(form.get("user") or ""),
                    "minutes": int_or_none(form.get("minutes"), "minutes") or 0,
                }
            )
        elif index is not None and 0 <= index < len(steps):
            if op == "remove":
                steps.pop(index)
            elif op in ("up", "down"):
                j = index - 1 if op == "up" else index + 1
                if 0 <= j < len(steps):
                    steps[index], steps[j] = steps[j], steps[index]
        oncall.set_escalation(session, post.principal, team_id, steps)

    return await _team_post(post, team_id, "escalation", work)


# -- pages and acknowledgement -------------------------------------------------------------


@router.post("/oncall/pages/{page_id}/ack", response_model=None)
def ack_in_ui(
    page_id: IdPath, request: Request, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    page = paging.get_page(session, principal, page_id)
    paging.acknowledge(session, page, principal.label, runtime.clock.now(), principal)
    back = (
        "/oncall" if request.query_params.get("back") != "team" else f"/oncall/teams/{page.team_id}"
    )
    return RedirectResponse(f"{back}?saved=ack", status_code=303)


@router.get("/oncall/ack/{token}", response_class=HTMLResponse)
def ack_link(token: str, request: Request, caller: CallerDep, session: SessionDep) -> HTMLResponse:
    # A GET never acknowledges: mail scanners follow links. The page asks for one click.
    page = paging.page_by_token(session, token)
    return render(request, caller, "csirt/ack.html", {"page": page, "token": token, "done": False})


@router.post("/oncall/ack/{token}", response_class=HTMLResponse)
def ack_link_confirm(
    token: str, request: Request, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    page = paging.page_by_token(session, token)
    if page.status == "open":
        paging.acknowledge(session, page, f"{page.target or 'someone'} (link)", runtime.clock.now())
    return render(request, caller, "csirt/ack.html", {"page": page, "token": token, "done": True})


# -- delivery log --------------------------------------------------------------------------


@router.get("/oncall/deliveries", response_class=HTMLResponse)
def delivery_log(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    qp = request.query_params
    status = qp.get("status") if qp.get("status") in deliveries.STATUSES else None
    channel = qp.get("channel") if qp.get("channel") in deliveries.CHANNELS else None
    tenants = visible_tenants(principal, "csirt.deliveries.read")
    rows = deliveries.log(session, tenants=tenants, status=status, channel=channel, limit=200)
    audit.record_read(
        session,
        principal,
        "csirt.delivery.list",
        object_type="delivery_list",
        rows=len(rows),
        client=client_address(request),
    )
    return render(
        request,
        caller,
        "csirt/deliveries.html",
        {
            "rows": rows,
            "status": status or "",
            "channel": channel or "",
            "now": runtime.clock.now(),
            "statuses": deliveries.STATUSES,
            "channels": deliveries.CHANNELS,
            "can_retry": {
                d.id: d.status == "failed"
                and allows(principal, "csirt.deliveries.retry", d.tenant or JOINT)
                for d in rows
            },
            "max_attempts": runtime.settings.section(CsirtSettings).delivery_attempts,
            "uses_smtp": runtime.settings.section(CsirtSettings).uses_smtp(),
            "flash": _saved(request),
        },
    )


@router.post("/oncall/deliveries/{delivery_id}/retry", response_model=None)
def retry_delivery(
    delivery_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    background: BackgroundTasks,
) -> Response:
    deliveries.retry(session, principal, delivery_id, now=runtime.clock.now())
    background.add_task(wake_worker, request.app)
    return RedirectResponse("/oncall/deliveries?saved=retry", status_code=303)
