"""Follow-up tasks of exercises as pages: the open tasks of one's ward (the joint centre:
of every ward, or one), and on each task a "完了にする / Mark done" form with a note, a
reopen button, and for the planner a reassign form (owner, due date). The same forms sit
on the exercise's page; both go through ``rengo.drills.followups``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem, RengoError
from rengo.core.permissions import Principal, allows
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.core.wards import wards
from rengo.drills import followups
from rengo.drills.models import FollowUp
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.nav import NavItem
from rengo.web.pages.csirt_forms import FormError
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "Follow-up tasks", "/drills/followups", "drills.exercises.read", order=42),
]


def task_permissions(principal: Principal, tasks: list[FollowUp]) -> dict[str, Any]:
    """What the page may offer on each task (the services decide again on submit)."""
    return {
        "can_work": {f.id for f in tasks if allows(principal, "drills.followups.work", f.owner)},
        "can_assign": allows(principal, "drills.followups.assign"),
        "wards": wards(),
    }


def _list(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    ward: TenantCode | None,
    show_done: bool,
    error: FormError | None = None,
) -> HTMLResponse:
    tasks = followups.list_followups(session, principal, ward=ward, open_only=not show_done)
    context = {
        "tasks": tasks,
        "ward": ward,
        "show_done": show_done,
        "back": "list",
        "flash": error.message if error else None,
        "flash_kind": "error" if error else None,
        **task_permissions(principal, [t.followup for t in tasks]),
    }
    status = error.status if error else 200
    return render(request, caller, "drills/followups.html", context, status_code=status)


@router.get("/drills/followups", response_class=HTMLResponse)
def followup_list(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    ward: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """Open follow-up tasks (``?done=1``: the closed ones too), earliest due first."""
    chosen = ward if ward and ward.isdigit() and len(ward) == 6 and principal.is_joint else None
    return _list(request, caller, session, principal, chosen, done == "1")


def _parse_day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("Enter a date.", [Problem("Enter a date.", "field due_on")]) from None


async def _act(
    request: Request,
    caller: Any,
    principal: Principal,
    runtime: Runtime,
    followup_id: int,
    action: str,
) -> Response:
    form = await request.form()
    now = runtime.clock.now()
    try:
        with runtime.db.session() as session:
            if action == "done":
                followups.mark_done(
                    session, principal, followup_id, str(form.get("note") or ""), now
                )
            elif action == "reopen":
                followups.reopen(session, principal, followup_id, now)
            else:
                owner = str(form.get("owner") or "") or None
                due = _parse_day(str(form.get("due_on") or "").strip())
                followups.reassign(session, principal, followup_id, now, owner=owner, due_on=due)
            exercise = followups.get_followup(session, principal, followup_id).exercise
            public_id = exercise.public_id
    except RengoError as exc:
        with runtime.db.session() as session:
            return _list(request, caller, session, principal, None, True, FormError.of(action, exc))
    if form.get("back") == "exercise":
        return RedirectResponse(f"/drills/exercises/{public_id}#followups", status_code=303)
    return RedirectResponse("/drills/followups", status_code=303)


def _action_route(action: str) -> Any:
    """The form post of one button (done, reopen, assign): all go through ``_act``."""

    async def post(
        followup_id: IdPath,
        request: Request,
        caller: CallerDep,
        principal: UserDep,
        runtime: RuntimeDep,
    ) -> Response:
        return await _act(request, caller, principal, runtime, followup_id, action)

    return post


for _action in ("done", "reopen", "assign"):
    router.post(
        f"/drills/followups/{{followup_id}}/{_action}",
        response_model=None,
        name=f"followup_{_action}",
    )(_action_route(_action))
