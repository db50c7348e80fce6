"""Exercises: create one from a scenario, find and list them, pause, resume, abort.

An exercise snapshots its scenario, the wards taking part, one row per inject and ward
(``InjectRun``) and one per expectation and ward (``Result``), all in one transaction —
so an exercise exists whole or not at all. Its clock is the scenario's: minute ``m`` is
at ``start_at + m / speed`` real minutes, plus the time it spent paused.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, ward_codes
from rengo.drills.models import Exercise, ExerciseWard, InjectRun, OnRestart, Result, Transport
from rengo.drills.scenario import ExerciseKind, ExpectationKind, Inject, Scenario
from rengo.drills.start_time import check_start

MAX_SPEED = 600.0

PER_WARD = (
    ExpectationKind.DETECTION,
    ExpectationKind.INCIDENT,
    ExpectationKind.CONTAINMENT,
    ExpectationKind.NOTIFICATION,
)


def schedule(scenario: Scenario) -> dict[str, float]:
    """Minutes after the start of every inject (``after`` chains resolved; no loops:
    the loader refused them)."""
    by_id = {i.id: i for i in scenario.injects}
    out: dict[str, float] = {}

    def minutes(inject: Inject) -> float:
        if inject.id not in out:
            base = minutes(by_id[inject.after]) if inject.after else 0.0
            out[inject.id] = base + inject.at_minutes
        return out[inject.id]

    for inject in scenario.injects:
        minutes(inject)
    return out


def select_wards(which: str, wards: list[TenantCode]) -> list[str]:
    """``all``, ``first`` or ``others`` of the exercise's wards."""
    return {"all": wards, "first": wards[:1], "others": wards[1:]}[which]


def inject_wards(inject: Inject, wards: list[TenantCode]) -> list[str]:
    return [JOINT] if inject.telemetry is None else select_wards(inject.wards, wards)


def new_public_id(now: datetime) -> str:
    return f"EX-{now:%Y%m%d}-{secrets.token_hex(3).upper()}"


def _check_wards(scenario: Scenario, wards: list[TenantCode]) -> list[str]:
    wards = list(dict.fromkeys(wards or scenario.wards.codes))
    problems = [Problem(f"unknown ward {w!r}", "wards") for w in wards if w not in ward_codes()]
    if not wards:
        problems.append(Problem("name the wards taking part", "wards"))
    elif len(wards) < scenario.wards.count:
        problems.append(
            Problem(f"the scenario needs at least {scenario.wards.count} wards", "wards")
        )
    if problems:
        raise InvalidInput("invalid wards", problems)
    return wards


def create_exercise(
    session: Session,
    principal: Principal,
    scenario: Scenario,
    *,
    wards: list[TenantCode],
    speed: float,
    start_at: datetime,
    now: datetime,
    autostart: bool = False,
    on_restart: OnRestart = "resume",
    transport: Transport = "http",
) -> Exercise:
    """Plan an exercise (status ``planned``); the runner or facilitator starts it — or,
    with ``autostart``, the server's supervisor at ``start_at`` (a live exercise)."""
    require(principal, "drills.exercises.run")
    wards = _check_wards(scenario, wards)
    if not 0 < speed <= MAX_SPEED:
        raise InvalidInput("invalid speed", [Problem(f"between 0 and {MAX_SPEED:g}", "speed")])
    check_start(start_at, now, live=scenario.kind is ExerciseKind.LIVE, autostart=autostart)
    exercise = Exercise(
        public_id=new_public_id(now),
        kind=scenario.kind.value,
        scenario_id=scenario.id,
        scenario_version=scenario.version,
        scenario=scenario.model_dump(mode="json"),
        title_ja=scenario.title.ja[:300],
        title_en=scenario.title.en[:300],
        wards=wards,
        status="planned",
        speed=speed,
        start_at=start_at,
        paused_seconds=0.0,
        join_code=secrets.token_hex(3).upper() if scenario.kind is ExerciseKind.TABLETOP else None,
        token_ids=[],
        telemetry_records=0,
        autostart_at=start_at if autostart else None,
        on_restart=on_restart,
        transport=transport,
        interrupted="",
        created_by=principal.label,
        created_at=now,
        updated_at=now,
    )
    session.add(exercise)
    session.flush()
    for ward in wards:
        session.add(ExerciseWard(exercise_id=exercise.id, ward=ward))
    times = schedule(scenario)
    for inject in scenario.injects:
        for ward in inject_wards(inject, wards):
            session.add(
                InjectRun(
                    exercise_id=exercise.id,
                    inject_id=inject.id,
                    ward=ward,
                    due_minutes=times[inject.id],
                    records=0,
                    error="",
                )
            )
    for expectation in scenario.expectations:
        targets = (
            select_wards(expectation.wards, wards) if expectation.kind in PER_WARD else [JOINT]
        )
        if expectation.kind is ExpectationKind.DETECTION:
            targets = [w for w in targets if w in _telemetry_wards(scenario, wards)] or targets
        for ward in targets:
            session.add(
                Result(
                    exercise_id=exercise.id,
                    expectation_id=expectation.id,
                    kind=expectation.kind.value,
                    ward=ward,
                    status="pending",
                    due_at=real_time(exercise, expectation.within_minutes),
                    acknowledged_by="",
                    reference="",
                )
            )
    audit.record(
        session,
        principal,
        "drills.exercise.create",
        object_type="drills_exercise",
        object_id=exercise.public_id,
        detail={"scenario": scenario.id, "wards": wards, "speed": speed},
        at=now,
    )
    session.flush()
    return exercise


def _telemetry_wards(scenario: Scenario, wards: list[TenantCode]) -> set[str]:
    """Wards that receive telemetry (a detection cannot be expected elsewhere)."""
    return {w for i in scenario.injects if i.telemetry for w in inject_wards(i, wards)}


def real_time(exercise: Exercise, scenario_minutes: float) -> datetime:
    """The real moment of a scenario minute (pauses so far included)."""
    return exercise.start_at + timedelta(
        seconds=scenario_minutes * 60 / exercise.speed + exercise.paused_seconds
    )


def scenario_minutes(exercise: Exercise, now: datetime) -> float:
    """Scenario minutes elapsed at ``now`` (frozen while paused)."""
    until = exercise.paused_at or now
    seconds = (until - exercise.start_at).total_seconds() - exercise.paused_seconds
    return max(0.0, seconds * exercise.speed / 60)


def scenario_of(exercise: Exercise) -> Scenario:
    return Scenario.model_validate(exercise.scenario)


def get_exercise(session: Session, principal: Principal, public_id: str) -> Exercise:
    """The exercise, if ``principal`` may see it (another ward's answers 404)."""
    exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
    if exercise is None:
        raise NotFound("no such exercise", [Problem(public_id, "exercise")])
    require(principal, "drills.exercises.read", exercise.wards, hide=True)
    return exercise


def lock_exercise(session: Session, public_id: str) -> Exercise:
    """The exercise row, locked for an update on PostgreSQL."""
    exercise = session.scalar(
        select(Exercise).where(Exercise.public_id == public_id).with_for_update()
    )
    if exercise is None:
        raise NotFound("no such exercise", [Problem(public_id, "exercise")])
    return exercise


def list_exercises(
    session: Session,
    principal: Principal,
    *,
    kind: str | None = None,
    ward: TenantCode | None = None,
) -> list[Exercise]:
    wards = narrow_to_visible(principal, "drills.exercises.read", ward)
    stmt = select(Exercise).order_by(Exercise.start_at.desc(), Exercise.id.desc())
    if kind is not None:
        stmt = stmt.where(Exercise.kind == kind)
    if wards is not None:
        stmt = stmt.where(
            Exercise.id.in_(select(ExerciseWard.exercise_id).where(ExerciseWard.ward.in_(wards)))
        )
    return list(session.scalars(stmt))


TRANSITIONS = {
    "start": ({"planned"}, "running"),
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "abort": ({"planned", "running", "paused", "interrupted"}, "aborted"),
    "complete": ({"running", "paused"}, "completed"),
    "interrupt": ({"running", "paused"}, "interrupted"),
}


def change_status(
    session: Session,
    principal: Principal,
    public_id: str,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Exercise:
    """Start, pause, resume, abort or complete an exercise (audited)."""
    require(principal, "drills.exercises.run")
    if action not in TRANSITIONS:
        raise InvalidInput(
            "unknown action", [Problem(f"one of {', '.join(TRANSITIONS)}", "action")]
        )
    exercise = lock_exercise(session, public_id)
    allowed, target = TRANSITIONS[action]
    if exercise.status not in allowed:
        raise Conflict(
            "cannot {action} an exercise that is {status}",
            values={"action": action, "status": exercise.status},
        )
    if action == "start":
        exercise.start_at = now
        for result in session.scalars(select(Result).where(Result.exercise_id == exercise.id)):
            expectation = next(
                e for e in scenario_of(exercise).expectations if e.id == result.expectation_id
            )
            result.due_at = real_time(exercise, expectation.within_minutes)
    elif action == "pause":
        exercise.paused_at = now
    elif action == "resume" and exercise.paused_at is not None:
        exercise.paused_seconds += (now - exercise.paused_at).total_seconds()
        exercise.paused_at = None
        _shift_due(session, exercise)
    if target in ("aborted", "completed", "interrupted"):
        exercise.ended_at = exercise.ended_at or now
    if action == "interrupt":
        exercise.interrupted = str((detail or {}).get("reason", ""))[:500]
    exercise.status = target
    exercise.updated_at = now
    audit.record(
        session,
        principal,
        f"drills.exercise.{action}",
        object_type="drills_exercise",
        object_id=exercise.public_id,
        detail=detail or {},
        at=now,
    )
    session.flush()
    return exercise


def _shift_due(session: Session, exercise: Exercise) -> None:
    scenario = scenario_of(exercise)
    within = {e.id: e.within_minutes for e in scenario.expectations}
    for result in session.scalars(
        select(Result).where(Result.exercise_id == exercise.id, Result.status == "pending")
    ):
        result.due_at = real_time(exercise, within[result.expectation_id])
