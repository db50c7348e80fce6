"""Exercise pages for the planner and the joint centre: the scenario library and the
exercises (start one), a live exercise's control page (injects sent, detections expected
vs fired, acknowledgements per ward; refreshed by htmx every few seconds; pause, resume,
abort), a tabletop's facilitator console (send injects, who answered), and the history
per ward and type that the scoreboard links to as evidence.

Every decision goes through ``rengo.drills`` services, which ask
``rengo.core.permissions``; another ward's exercise answers 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem, RengoError
from rengo.core.permissions import Principal, allows
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.core.wards import wards
from rengo.drills import loader, service, tabletop
from rengo.drills.catalog import rule_catalog
from rengo.drills.models import Exercise, OnRestart
from rengo.drills.summary import summarise
from rengo.web.api.drills import ExerciseId, act, start_exercise
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep
from rengo.web.nav import NavItem
from rengo.web.pages.csirt_forms import FormError, jst_input
from rengo.web.pages.drills_followups import task_permissions
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "Cyber exercises", "/drills", "drills.exercises.read", order=40),
    NavItem("m1", "Exercise history", "/drills/history", "drills.exercises.read", order=41),
]
ACTIONS = ("start", "pause", "resume", "abort", "complete")


def _index(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    runtime: Runtime,
    error: FormError | None = None,
) -> HTMLResponse:
    can_run = allows(principal, "drills.exercises.run")
    shipped = loader.library(rule_catalog(runtime)) if can_run else {}
    return render(
        request,
        caller,
        "drills/index.html",
        {
            "scenarios": [shipped[k] for k in sorted(shipped)],
            "exercises": service.list_exercises(session, principal),
            "can_run": can_run,
            "wards": wards(),
            "flash": error.message if error else None,
            "flash_kind": "error" if error else None,
            "error": error,
        },
        status_code=error.status if error else 200,
    )


@router.get("/drills", response_class=HTMLResponse)
def index(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _index(request, caller, session, principal, runtime)


@router.post("/drills/exercises", response_model=None)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    try:
        speed = float(str(form.get("speed") or "1"))
    except ValueError:
        speed = -1.0
    try:
        shipped = loader.library(rule_catalog(runtime))
        name = str(form.get("scenario") or "")
        if name not in shipped:
            raise InvalidInput(
                "Choose a scenario.", [Problem("Choose a scenario.", "field scenario")]
            )
        now = runtime.clock.now()
        start_at = jst_input(str(form.get("start_at") or "").strip(), "start_at")
        on_restart: OnRestart = "interrupt" if form.get("on_restart") == "interrupt" else "resume"
        with runtime.db.session() as session:
            exercise = service.create_exercise(
                session,
                principal,
                loader.require(shipped[name]),
                wards=[str(w) for w in form.getlist("wards")],
                speed=speed,
                start_at=start_at or now,
                now=now,
                autostart=start_at is not None,
                on_restart=on_restart,
            )
            session.expunge(exercise)
        if exercise.kind == "live" and start_at is None:
            start_exercise(request, runtime, principal, exercise)
    except RengoError as exc:
        with runtime.db.session() as session:
            return _index(
                request, caller, session, principal, runtime, FormError.of("new-exercise", exc)
            )
    return RedirectResponse(f"/drills/exercises/{exercise.public_id}", status_code=303)


def _context(session: Session, principal: Principal, exercise: Exercise) -> dict[str, Any]:
    summary = summarise(session, exercise)
    scenario = service.scenario_of(exercise)
    context: dict[str, Any] = {
        "exercise": exercise,
        "scenario": scenario,
        "summary": summary,
        "can_run": allows(principal, "drills.exercises.run"),
        "can_join": exercise.kind == "tabletop"
        and exercise.status in tabletop.OPEN
        and allows(principal, "drills.tabletop.join", exercise.wards),
        "fired": [r for r in summary.rows if r.kind in ("detection", "campaign")],
        **task_permissions(principal, summary.followups),
    }
    if exercise.kind == "tabletop":
        context["board"] = tabletop.board(session, exercise)
        context["sent"] = {r.inject_id for r in tabletop.sent_injects(session, exercise)}
    return context


@router.get("/drills/exercises/{exercise_id}", response_class=HTMLResponse)
def exercise_page(
    exercise_id: ExerciseId,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> HTMLResponse:
    exercise = service.get_exercise(session, principal, exercise_id)
    template = "drills/exercise.html" if exercise.kind == "live" else "drills/console.html"
    return render(request, caller, template, _context(session, principal, exercise))


@router.get("/drills/exercises/{exercise_id}/status", response_class=HTMLResponse)
def exercise_status(
    exercise_id: ExerciseId,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> HTMLResponse:
    """The part of the control page or console that changes (polled / pushed)."""
    exercise = service.get_exercise(session, principal, exercise_id)
    template = "drills/_live.html" if exercise.kind == "live" else "drills/_board.html"
    return render(request, caller, template, _context(session, principal, exercise))


@router.post("/drills/exercises/{exercise_id}/action", response_model=None)
async def exercise_action(
    exercise_id: ExerciseId,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    runtime: RuntimeDep,
) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    try:
        if action not in ACTIONS:
            raise InvalidInput("Unknown action.", [Problem("Unknown action.", "field action")])
        act(request, runtime, principal, exercise_id, action)
    except RengoError as exc:
        error = FormError.of("action", exc)
        with runtime.db.session() as session:
            exercise = service.get_exercise(session, principal, exercise_id)
            template = "drills/exercise.html" if exercise.kind == "live" else "drills/console.html"
            context = _context(session, principal, exercise)
            context.update(flash=error.message, flash_kind="error")
            return render(request, caller, template, context, status_code=error.status)
    return RedirectResponse(f"/drills/exercises/{exercise_id}", status_code=303)


@router.post("/drills/exercises/{exercise_id}/injects/{inject_id}", response_model=None)
def send_inject(
    exercise_id: ExerciseId,
    inject_id: str,
    principal: UserDep,
    runtime: RuntimeDep,
) -> Response:
    with runtime.db.session() as session:
        tabletop.send_inject(session, principal, exercise_id, inject_id, runtime.clock.now())
    return RedirectResponse(f"/drills/exercises/{exercise_id}", status_code=303)


@router.get("/drills/history", response_class=HTMLResponse)
def history(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    ward: TenantCode | None = None,
    kind: str | None = None,
) -> HTMLResponse:
    """Exercises per ward and type, with their scores: the KPIs' evidence."""
    kind = kind if kind in ("live", "tabletop") else None
    ward = ward if ward and ward.isdigit() and len(ward) == 6 else None
    exercises = service.list_exercises(session, principal, kind=kind, ward=ward)
    rows = [(e, summarise(session, e)) for e in exercises]
    return render(
        request,
        caller,
        "drills/history.html",
        {"rows": rows, "ward": ward, "kind": kind, "wards": wards()},
    )
