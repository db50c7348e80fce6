"""Joint cyber exercises over JSON: the scenario library, validation, exercises (start a
live run or a tabletop, pause, resume, abort, complete), results, the AAR/IP report and
purge. Live runs started here are driven by a background runner in this server, which
sends the telemetry to this server's own ingest API over HTTP (``drills.ingest_url``
when set to a load balancer; else the address the request came to).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import require
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.drills import loader, purge, scoring, service, tabletop
from rengo.drills.catalog import rule_catalog
from rengo.drills.live import revoke_tokens
from rengo.drills.models import Exercise
from rengo.drills.report import after_action_report
from rengo.drills.runners import Runners
from rengo.drills.settings import DrillsSettings, ingest_url
from rengo.drills.summary import summarise
from rengo.drills.supervisor import Supervisor
from rengo.web.deps import RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/drills", tags=["drills"])

ExerciseId = Annotated[
    str, Path(pattern=r"^EX-\d{8}-[0-9A-F]{6}$", description="Exercise id, EX-<date>-<hex>")
]
ScenarioId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
Action = Literal["start", "pause", "resume", "abort", "complete"]
Kind = Literal["live", "tabletop"]


@asynccontextmanager
async def _runners(app: FastAPI) -> AsyncIterator[None]:
    app.state.drill_runners = Runners()
    runtime: Runtime = app.state.runtime
    # Exercises due to start by themselves, and those a restart left: to drills.ingest_url.
    supervisor = Supervisor(runtime, app.state.drill_runners, ingest_url(runtime.settings))
    supervisor.start()
    try:
        yield
    finally:
        await run_in_threadpool(supervisor.close)
        await run_in_threadpool(app.state.drill_runners.stop_all)


LIFESPAN = _runners


def runners(request: Request) -> Runners:
    found: Runners | None = getattr(request.app.state, "drill_runners", None)
    if found is None:  # an app used without its lifespan (some tests)
        found = request.app.state.drill_runners = Runners()
    return found


# -- scenarios ---------------------------------------------------------------------------


class Localised(BaseModel):
    ja: str
    en: str


class ProblemOut(BaseModel):
    location: str
    message: str


class ScenarioOut(BaseModel):
    id: str
    version: int
    kind: Kind
    title: Localised
    story: Localised
    techniques: list[str]
    wards_needed: int
    default_wards: list[str]
    injects: int
    expectations: int
    warnings: list[ProblemOut] = Field(description="e.g. an expected rule switched off")


def _scenario_out(loaded: loader.Loaded) -> ScenarioOut:
    s = loaded.scenario
    assert s is not None
    return ScenarioOut(
        id=s.id,
        version=s.version,
        kind=s.kind.value,
        title=Localised(ja=s.title.ja, en=s.title.en),
        story=Localised(ja=s.story.ja, en=s.story.en),
        techniques=list(s.techniques),
        wards_needed=s.wards.count,
        default_wards=list(s.wards.codes),
        injects=len(s.injects),
        expectations=len(s.expectations),
        warnings=[ProblemOut(location=p.location, message=p.message) for p in loaded.warnings],
    )


@router.get("/scenarios", response_model=list[ScenarioOut], summary="The scenario library")
def scenarios(principal: UserDep, runtime: RuntimeDep) -> list[ScenarioOut]:
    require(principal, "drills.scenarios.read")
    shipped = loader.library(rule_catalog(runtime))
    return [_scenario_out(shipped[k]) for k in sorted(shipped)]


@router.get("/scenarios/{scenario_id}", summary="One scenario of the library, as its full document")
def scenario(scenario_id: ScenarioId, principal: UserDep, runtime: RuntimeDep) -> dict[str, object]:
    require(principal, "drills.scenarios.read")
    shipped = loader.library(rule_catalog(runtime))
    if scenario_id not in shipped or shipped[scenario_id].scenario is None:
        raise NotFound("no such scenario", [Problem(scenario_id, "scenario")])
    document = shipped[scenario_id].scenario
    assert document is not None
    return document.model_dump(mode="json")


class ValidationOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    warnings: list[ProblemOut]


@router.post(
    "/scenarios/validate",
    response_model=ValidationOut,
    summary="Check a scenario (YAML body): every error and warning with line and field",
)
async def validate(request: Request, principal: UserDep, runtime: RuntimeDep) -> ValidationOut:
    require(principal, "drills.scenarios.read")
    raw = await request.body()
    if len(raw) > 1 << 20:
        raise InvalidInput("body too large", [Problem("at most 1 MiB", "body")])
    rules = await run_in_threadpool(rule_catalog, runtime)
    loaded = loader.parse(raw.decode("utf-8", "replace"), "scenario.yaml", rules)
    return ValidationOut(
        ok=loaded.ok,
        problems=[ProblemOut(location=p.location, message=p.message) for p in loaded.problems],
        warnings=[ProblemOut(location=p.location, message=p.message) for p in loaded.warnings],
    )


# -- exercises ---------------------------------------------------------------------------


class ExerciseIn(BaseModel):
    scenario: str = Field(description="Id of a library scenario")
    wards: list[str] = Field(
        default_factory=list, description="Ward codes (default: the scenario's)"
    )
    speed: float = Field(1.0, gt=0, le=service.MAX_SPEED, description="Time compression ×N")
    start: bool = Field(True, description="Start now (a live run begins sending at once)")
    start_at: AwareDatetime | None = Field(
        None,
        description="Start by itself at this time instead (live; with a zone, within a year)",
    )
    transport: Literal["http", "syslog"] = Field(
        "http", description="Telemetry over HTTP ingest, or FortiGate logs by syslog (TCP)"
    )
    on_restart: Literal["resume", "interrupt"] = Field(
        "resume",
        description="If the server restarts while it runs: resume it, or mark it interrupted",
    )


class ExerciseOut(BaseModel):
    id: str = Field(description="EX-<date>-<hex>")
    kind: Kind
    scenario: str
    title: Localised
    wards: list[str]
    status: Literal["planned", "running", "paused", "completed", "aborted", "interrupted"]
    speed: float
    start_at: datetime
    starts_by_itself: bool = Field(description="Planned to start by itself at start_at")
    on_restart: Literal["resume", "interrupt"]
    transport: Literal["http", "syslog"]
    interrupted: str = Field(description="Why it was interrupted (status interrupted)")
    ended_at: datetime | None
    join_code: str | None = Field(description="Short code tabletop participants join with")
    telemetry_records: int
    score: float | None = Field(description="Expectations met, percent")


class ResultOut(BaseModel):
    expectation: str
    kind: str
    ward: TenantCode
    status: Literal["pending", "met", "missed"]
    due_at: datetime
    met_at: datetime | None
    minutes_to_detect: float | None
    minutes_to_acknowledge: float | None
    minutes_to_contain: float | None
    acknowledged_by: str
    reference: str


class FollowUpOut(BaseModel):
    expectation: str
    owner: str
    title: Localised
    due_on: str


class InjectOut(BaseModel):
    inject: str
    ward: TenantCode
    due_minutes: float
    sent_at: datetime | None
    records: int


class ExerciseDetail(ExerciseOut):
    results: list[ResultOut]
    followups: list[FollowUpOut]
    injects: list[InjectOut]


def _out(session: SessionDep, exercise: Exercise) -> ExerciseOut:
    summary = summarise(session, exercise)
    return ExerciseOut(
        id=exercise.public_id,
        kind=exercise.kind,
        scenario=exercise.scenario_id,
        title=Localised(ja=exercise.title_ja, en=exercise.title_en),
        wards=list(exercise.wards),
        status=exercise.status,
        speed=exercise.speed,
        start_at=exercise.start_at,
        starts_by_itself=exercise.status == "planned" and exercise.autostart_at is not None,
        on_restart=exercise.on_restart,
        transport=exercise.transport,
        interrupted=exercise.interrupted,
        ended_at=exercise.ended_at,
        join_code=exercise.join_code,
        telemetry_records=exercise.telemetry_records,
        score=summary.score,
    )


def _detail(session: SessionDep, exercise: Exercise) -> ExerciseDetail:
    summary = summarise(session, exercise)
    return ExerciseDetail(
        **_out(session, exercise).model_dump(),
        results=[
            ResultOut(
                expectation=r.expectation_id,
                kind=r.kind,
                ward=r.ward,
                status=r.status,
                due_at=r.due_at,
                met_at=r.met_at,
                minutes_to_detect=r.minutes_to_detect,
                minutes_to_acknowledge=r.minutes_to_acknowledge,
                minutes_to_contain=r.minutes_to_contain,
                acknowledged_by=r.acknowledged_by,
                reference=r.reference,
            )
            for r in summary.rows
        ],
        followups=[
            FollowUpOut(
                expectation=f.expectation_id,
                owner=f.owner,
                title=Localised(ja=f.title_ja, en=f.title_en),
                due_on=f.due_on.isoformat(),
            )
            for f in summary.followups
        ],
        injects=[
            InjectOut(
                inject=i.inject_id,
                ward=i.ward,
                due_minutes=i.due_minutes,
                sent_at=i.sent_at,
                records=i.records,
            )
            for i in summary.injects
        ],
    )


@router.get("/exercises", response_model=list[ExerciseOut], summary="Exercises (a ward: its own)")
def exercises(
    principal: UserDep,
    session: SessionDep,
    kind: Annotated[Kind | None, Query(description="live | tabletop")] = None,
    ward: Annotated[TenantCode | None, Query(pattern=r"^\d{6}$", description="Ward code")] = None,
) -> list[ExerciseOut]:
    return [
        _out(session, e) for e in service.list_exercises(session, principal, kind=kind, ward=ward)
    ]


def ingest_base(request: Request, runtime: Runtime) -> str:
    """Where a runner in this server sends telemetry: the setting, else this server."""
    configured = runtime.settings.section(DrillsSettings).ingest_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def start_exercise(
    request: Request, runtime: Runtime, principal: UserDep, exercise: Exercise
) -> None:
    """Start a planned exercise: a live one gets its runner in this server."""
    if exercise.kind == "live":
        runners(request).start(
            runtime,
            principal,
            exercise.public_id,
            rule_catalog(runtime),
            ingest_base(request, runtime),
        )
    else:
        with runtime.db.session() as session:
            service.change_status(
                session, principal, exercise.public_id, "start", runtime.clock.now()
            )


@router.post(
    "/exercises",
    response_model=ExerciseOut,
    status_code=201,
    summary="Plan an exercise from a library scenario (and start it)",
)
def create(
    body: ExerciseIn,
    request: Request,
    response: Response,
    principal: UserDep,
    runtime: RuntimeDep,
) -> ExerciseOut:
    rules = rule_catalog(runtime)
    shipped = loader.library(rules)
    if body.scenario not in shipped:
        raise InvalidInput(
            "unknown scenario", [Problem(f"one of {', '.join(sorted(shipped))}", "field scenario")]
        )
    document = loader.require(shipped[body.scenario])
    now = runtime.clock.now()
    with runtime.db.session() as session:
        exercise = service.create_exercise(
            session,
            principal,
            document,
            wards=body.wards,
            speed=body.speed,
            start_at=body.start_at or now,
            now=now,
            autostart=body.start_at is not None,
            on_restart=body.on_restart,
            transport=body.transport,
        )
        session.expunge(exercise)
    if body.start and body.start_at is None:
        start_exercise(request, runtime, principal, exercise)
    response.headers["Location"] = f"/api/v1/drills/exercises/{exercise.public_id}"
    with runtime.db.session() as session:
        return _out(session, service.get_exercise(session, principal, exercise.public_id))


@router.get(
    "/exercises/{exercise_id}", response_model=ExerciseDetail, summary="An exercise and its results"
)
def exercise(exercise_id: ExerciseId, principal: UserDep, session: SessionDep) -> ExerciseDetail:
    return _detail(session, service.get_exercise(session, principal, exercise_id))


def act(
    request: Request, runtime: Runtime, principal: UserDep, exercise_id: str, action: str
) -> None:
    """Pause, resume, abort or complete (abort cleans up what it caused)."""
    now = runtime.clock.now()
    with runtime.db.session() as session:
        exercise = service.get_exercise(session, principal, exercise_id)
        if action == "start":
            require(principal, "drills.exercises.run")
            if exercise.status != "planned":
                service.change_status(session, principal, exercise_id, "start", now)
            session.expunge(exercise)
        else:
            exercise = service.change_status(
                session, principal, exercise_id, action, now, {"client": client_address(request)}
            )
            if action == "complete":
                if exercise.kind == "tabletop":
                    tabletop.update_results(session, exercise, now)
                else:
                    scoring.attribute(session, runtime.data_dir, exercise, now)
                    scoring.update_results(session, exercise, rule_catalog(runtime), now)
                    revoke_tokens(session, exercise, now)
                settings = runtime.settings.section(DrillsSettings)
                scoring.finish(session, exercise, settings.followup_due_days, now)
    if action == "abort":  # the status first (the runner stops sending), then the rest
        purge.clean_up_aborted(runtime.db, runtime.data_dir, exercise_id, now)
    if action == "start":
        start_exercise(request, runtime, principal, exercise)


@router.post(
    "/exercises/{exercise_id}/{action}",
    response_model=ExerciseOut,
    summary="Start, pause, resume, abort (cleans up) or complete an exercise",
)
def change(
    exercise_id: ExerciseId,
    action: Action,
    request: Request,
    principal: UserDep,
    runtime: RuntimeDep,
) -> ExerciseOut:
    act(request, runtime, principal, exercise_id, action)
    with runtime.db.session() as session:
        return _out(session, service.get_exercise(session, principal, exercise_id))


@router.get(
    "/exercises/{exercise_id}/report",
    summary="After-action report and improvement plan (Japanese), HTML or PDF",
    response_class=Response,
)
def report(
    exercise_id: ExerciseId,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    format: Annotated[Literal["pdf", "html"], Query(description="pdf | html")] = "pdf",
) -> Response:
    rendered = after_action_report(
        session,
        principal,
        exercise_id,
        format,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    disposition = "inline" if format == "html" else "attachment"
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'},
    )


class PurgeOut(BaseModel):
    exercise: str
    events: int
    alerts: int
    incidents: int
    rows: int


@router.delete(
    "/exercises/{exercise_id}",
    response_model=PurgeOut,
    summary="Purge an exercise: its rows and lake events, and nothing else",
)
def delete_exercise(
    exercise_id: ExerciseId, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> PurgeOut:
    service.get_exercise(session, principal, exercise_id)
    done = purge.purge(session, principal, runtime.data_dir, exercise_id, runtime.clock.now())
    return PurgeOut(**asdict(done))
