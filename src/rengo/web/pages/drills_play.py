"""Tabletop participants' pages (phone-sized): join with the short code or an account,
see injects as the facilitator sends them, answer decision points, write drafts from
templates. Screens update in real time by server-sent events (``/events``): a small
script (``/static/drills.js``, allowed by the CSP's ``script-src 'self'``) fetches the
changed part when the stream says something changed.

A participant is known by a cookie scoped to one exercise (``rengo_drill_<id>``; only its
hash is stored), so two exercises on one phone never cross. Forms carry a token derived
from it, so another site cannot post in a participant's name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from rengo.core.errors import Forbidden, NotFound, Problem, RengoError
from rengo.core.permissions import allows
from rengo.core.runtime import Runtime
from rengo.drills import service, tabletop
from rengo.drills.models import Exercise, Participant
from rengo.web.api.drills import ExerciseId
from rengo.web.deps import CallerDep, RuntimeDep, UserDep
from rengo.web.pages.csirt_forms import FormError
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
STREAM_SECONDS = 4 * 3600
POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0


def cookie_name(public_id: str) -> str:
    return f"rengo_drill_{public_id}"


def form_token(secret: str) -> str:
    return hashlib.sha256(f"form:{secret}".encode()).hexdigest()[:32]


def _participant(request: Request, runtime: Runtime, public_id: str) -> tuple[Participant, str]:
    secret = request.cookies.get(cookie_name(public_id))
    with runtime.db.session() as session:
        participant = tabletop.participant_for(session, public_id, secret)
        session.expunge(participant)
    assert secret is not None
    return participant, secret


def _joined(public_id: str, secret: str) -> RedirectResponse:
    response = RedirectResponse(f"/drills/play/{public_id}", status_code=303)
    response.set_cookie(
        cookie_name(public_id),
        secret,
        max_age=24 * 3600,
        path="/drills",
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/drills/join", response_class=HTMLResponse)
def join_page(request: Request, caller: CallerDep, code: str = "") -> HTMLResponse:
    return render(request, caller, "drills/join.html", {"code": code[:12], "name": ""})


@router.post("/drills/join", response_model=None)
async def join(request: Request, caller: CallerDep, runtime: RuntimeDep) -> Response:
    form = await request.form()
    code, name = str(form.get("code") or "").strip(), str(form.get("name") or "").strip()
    try:
        with runtime.db.session() as session:
            exercise, _participant_row, secret = tabletop.join_with_code(
                session, code, name, runtime.clock.now()
            )
            public_id = exercise.public_id
    except RengoError as exc:
        error = FormError.of("join", exc)
        return render(
            request,
            caller,
            "drills/join.html",
            {"code": code, "name": name, "error": error},
            status_code=error.status,
        )
    return _joined(public_id, secret)


@router.post("/drills/exercises/{exercise_id}/join", response_model=None)
def join_with_account(exercise_id: ExerciseId, principal: UserDep, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        _exercise, _participant_row, secret = tabletop.join_with_account(
            session, principal, exercise_id, runtime.clock.now()
        )
    return _joined(exercise_id, secret)


def _play_context(runtime: Runtime, public_id: str, participant: Participant) -> dict[str, Any]:
    with runtime.db.session() as session:
        exercise = session.get(Exercise, participant.exercise_id)
        assert exercise is not None
        sent = tabletop.sent_injects(session, exercise)
        board = tabletop.board(session, exercise)
        scenario = service.scenario_of(exercise)
        session.expunge_all()
    mine = {i: d[participant.id] for i, d in board.answers.items() if participant.id in d}
    return {
        "exercise": exercise,
        "scenario": scenario,
        "participant": participant,
        "injects": [scenario.inject(r.inject_id) for r in sent],
        "sent_at": {r.inject_id: r.sent_at for r in sent},
        "mine": mine,
        "drafts": [d for d in board.drafts if d.participant_id == participant.id],
        "templates": tabletop.DRAFT_TEMPLATES,
    }


@router.get("/drills/play/{exercise_id}", response_class=HTMLResponse)
def play(
    exercise_id: ExerciseId, request: Request, caller: CallerDep, runtime: RuntimeDep
) -> Response:
    try:
        participant, secret = _participant(request, runtime, exercise_id)
    except NotFound:
        return RedirectResponse("/drills/join", status_code=303)
    context = _play_context(runtime, exercise_id, participant)
    context["form_token"] = form_token(secret)
    context["draft_text"] = {
        name: tabletop.draft_text(context["exercise"], name) for name in tabletop.DRAFT_TEMPLATES
    }
    return render(request, caller, "drills/play.html", context)


@router.get("/drills/play/{exercise_id}/feed", response_class=HTMLResponse)
def play_feed(
    exercise_id: ExerciseId, request: Request, caller: CallerDep, runtime: RuntimeDep
) -> HTMLResponse:
    participant, secret = _participant(request, runtime, exercise_id)
    context = _play_context(runtime, exercise_id, participant)
    context["form_token"] = form_token(secret)
    return render(request, caller, "drills/_feed.html", context)


async def _checked_form(
    request: Request, runtime: Runtime, public_id: str
) -> tuple[Participant, Any]:
    participant, secret = _participant(request, runtime, public_id)
    form = await request.form()
    if not hmac.compare_digest(str(form.get("form_token") or ""), form_token(secret)):
        raise Forbidden("reload the page and try again")
    return participant, form


@router.post("/drills/play/{exercise_id}/decisions", response_model=None)
async def decide(exercise_id: ExerciseId, request: Request, runtime: RuntimeDep) -> Response:
    participant, form = await _checked_form(request, runtime, exercise_id)
    raw = str(form.get("option") or "")
    option = int(raw) if raw.isdigit() else -1
    with runtime.db.session() as session:
        tabletop.decide(
            session,
            participant,
            str(form.get("inject") or ""),
            option,
            str(form.get("note") or ""),
            runtime.clock.now(),
        )
    return RedirectResponse(f"/drills/play/{exercise_id}#answered", status_code=303)


@router.post("/drills/play/{exercise_id}/drafts", response_model=None)
async def draft(exercise_id: ExerciseId, request: Request, runtime: RuntimeDep) -> Response:
    participant, form = await _checked_form(request, runtime, exercise_id)
    with runtime.db.session() as session:
        tabletop.save_draft(
            session,
            participant,
            str(form.get("template") or ""),
            str(form.get("body") or ""),
            runtime.clock.now(),
        )
    return RedirectResponse(f"/drills/play/{exercise_id}#drafts", status_code=303)


def _may_watch(request: Request, runtime: Runtime, principal: Any, public_id: str) -> None:
    """The facilitator (or anyone who may read the exercise) or one of its participants."""
    if principal.is_authenticated and allows(principal, "drills.exercises.read"):
        with runtime.db.session() as session:
            service.get_exercise(session, principal, public_id)
        return
    _participant(request, runtime, public_id)


def _fingerprint(runtime: Runtime, public_id: str) -> str:
    with runtime.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        if exercise is None:
            raise NotFound("no such exercise", [Problem(public_id, "exercise")])
        return tabletop.fingerprint(session, exercise)


@router.get("/drills/exercises/{exercise_id}/events")
async def events(
    exercise_id: ExerciseId, request: Request, caller: CallerDep, runtime: RuntimeDep
) -> StreamingResponse:
    """Server-sent events: ``update`` whenever what the screens show changed."""
    await run_in_threadpool(_may_watch, request, runtime, caller.principal, exercise_id)

    async def stream() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        loop = asyncio.get_running_loop()
        until = loop.time() + STREAM_SECONDS
        yield "retry: 2000\n\n"
        while loop.time() < until and not await request.is_disconnected():
            current = await run_in_threadpool(_fingerprint, runtime, exercise_id)
            if current != last:
                last, quiet = current, 0.0
                yield f"event: update\ndata: {current}\n\n"
            elif quiet >= KEEPALIVE_SECONDS:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
