"""EBPM over JSON, the evidence side: evaluation plans and estimates, resident surveys,
data-literacy training (courses, completions, staff counts, completion rates)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from rengo.core.types import TenantCode
from rengo.ebpm import evaluations, surveys, training
from rengo.ebpm.schemas import EvaluationCreate, EvaluationRun
from rengo.ebpm.settings import EbpmSettings
from rengo.ebpm.zone.deposits import Zone
from rengo.web.api.uploads import import_upload
from rengo.web.deps import Day, IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/ebpm", tags=["ebpm"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ResultOut(_Out):
    id: int
    method: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    detail: dict[str, Any] = Field(description="assumptions and diagnostics")
    at: datetime
    actor: str


class EvaluationOut(_Out):
    id: int
    policy_id: int
    indicator_id: int | None
    design: str
    comparison_group: str
    timing: str
    created_at: datetime
    results: list[ResultOut] = []


class SurveyOut(_Out):
    ward: TenantCode = Field(validation_alias="tenant")
    year: int
    question: str
    shares: dict[str, float]
    positive_pct: float
    sample_size: int
    margin_pct: float


class ImportOut(BaseModel):
    created: int = 0
    updated: int = 0


class SurveyImportOut(BaseModel):
    questions: int
    rows: int
    indicators_updated: int


class CourseOut(_Out):
    code: str
    title_ja: str
    title_en: str
    level: str
    mode: str
    required: bool
    audience: str


class RateOut(BaseModel):
    ward: TenantCode
    department: str
    staff: int
    completed: int
    pct: float | None


class CompletionIn(BaseModel):
    ward: TenantCode = Field(description="Ward code")
    staff_id: str = Field(min_length=1, max_length=64)
    department: str = Field("", max_length=128)
    course: str = Field(min_length=1, max_length=32, description="Course code")
    completed_on: Day


def _evaluation_out(evaluation: Any, results: list[Any]) -> EvaluationOut:
    out = EvaluationOut.model_validate(evaluation)
    out.results = [ResultOut.model_validate(r) for r in results]
    return out


@router.get(
    "/policies/{policy_id}/evaluations",
    response_model=list[EvaluationOut],
    summary="Evaluation plans of a policy with their results",
)
def list_evaluations(
    policy_id: IdPath, principal: UserDep, session: SessionDep
) -> list[EvaluationOut]:
    found = evaluations.plans(session, principal, policy_id)
    results = evaluations.results(session, [e.id for e in found])
    return [_evaluation_out(e, results[e.id]) for e in found]


@router.post(
    "/policies/{policy_id}/evaluations",
    response_model=EvaluationOut,
    status_code=201,
    summary="Plan an evaluation (design, comparison group, timing)",
)
def create_evaluation(
    policy_id: IdPath,
    body: EvaluationCreate,
    request: Request,
    principal: UserDep,
    session: SessionDep,
) -> EvaluationOut:
    evaluation = evaluations.create_plan(
        session, principal, policy_id, body, client=client_address(request)
    )
    return _evaluation_out(evaluation, [])


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut, summary="One evaluation")
def read_evaluation(
    evaluation_id: IdPath, principal: UserDep, session: SessionDep
) -> EvaluationOut:
    evaluation = evaluations.visible_evaluation(session, principal, evaluation_id)
    return _evaluation_out(evaluation, evaluations.results(session, [evaluation.id])[evaluation.id])


@router.post(
    "/evaluations/{evaluation_id}/results",
    response_model=ResultOut,
    status_code=201,
    summary=(
        "Run an estimator on observations (unit, period, value, treated) or on an approved "
        "release of the policy's ward (release_id, columns)"
    ),
)
def run_evaluation(
    evaluation_id: IdPath,
    body: EvaluationRun,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ResultOut:
    if body.release_id is not None:
        result = evaluations.run_on_release(
            session,
            principal,
            evaluation_id,
            body,
            runtime.settings,
            Zone.of(runtime),
            client=client_address(request),
        )
    else:
        result = evaluations.run(
            session,
            principal,
            evaluation_id,
            body,
            runtime.settings,
            client=client_address(request),
        )
    return ResultOut.model_validate(result)


@router.get("/surveys", response_model=list[SurveyOut], summary="Resident survey results")
def list_surveys(
    principal: UserDep,
    session: SessionDep,
    ward: Annotated[TenantCode | None, Query(description="Ward code")] = None,
) -> list[SurveyOut]:
    return [SurveyOut.model_validate(s) for s in surveys.survey_results(session, principal, ward)]


@router.post(
    "/surveys/import",
    response_model=SurveyImportOut,
    summary="Import resident survey results (CSV or Excel; all rows or none)",
)
async def import_surveys(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> SurveyImportOut:
    client = client_address(request)
    result = await import_upload(
        runtime,
        file,
        "survey.csv",
        lambda session, data, name: surveys.import_surveys(
            session, principal, data, runtime.settings, filename=name, client=client
        ),
    )
    return SurveyImportOut(
        questions=result.questions, rows=result.rows, indicators_updated=result.indicators_updated
    )


@router.get("/trainings/courses", response_model=list[CourseOut], summary="Data-literacy courses")
def list_courses(principal: UserDep, session: SessionDep) -> list[CourseOut]:
    return [CourseOut.model_validate(c) for c in training.courses(session)]


@router.get(
    "/trainings/rates",
    response_model=list[RateOut],
    summary="Completion of a course per ward and department (staff counts as denominator)",
)
def list_rates(
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    ward: Annotated[TenantCode | None, Query(description="Ward code")] = None,
    course: Annotated[str | None, Query(max_length=32, description="Course code")] = None,
) -> list[RateOut]:
    code = course or runtime.settings.section(EbpmSettings).required_course
    return [
        RateOut(
            ward=r.ward, department=r.department, staff=r.staff, completed=r.completed, pct=r.pct
        )
        for r in training.visible_rates(session, principal, code, ward)
    ]


@router.post(
    "/trainings/completions",
    response_model=ImportOut,
    status_code=201,
    summary="Record one completion (HR staff)",
)
def record_completion(
    body: CompletionIn, request: Request, principal: UserDep, session: SessionDep
) -> ImportOut:
    training.record_completion(
        session,
        principal,
        ward=body.ward,
        staff_id=body.staff_id,
        department=body.department,
        course_code=body.course,
        completed_on=body.completed_on,
        client=client_address(request),
    )
    return ImportOut(created=1)


@router.post(
    "/trainings/import",
    response_model=ImportOut,
    summary="Import completions from the HR system's CSV (UTF-8 or cp932; all rows or none)",
)
async def import_completions(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> ImportOut:
    result = await import_upload(
        runtime,
        file,
        "training.csv",
        lambda session, data, filename: training.import_completions(
            session, principal, data, filename=filename, client=client_address(request)
        ),
    )
    return ImportOut(created=result.created, updated=result.updated)


@router.post(
    "/trainings/staff/import",
    response_model=ImportOut,
    summary="Import staff counts per ward and department (the completion rate's denominator)",
)
async def import_staff(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> ImportOut:
    updated = await import_upload(
        runtime,
        file,
        "staff.csv",
        lambda session, data, filename: training.import_staff_counts(
            session, principal, data, filename=filename, client=client_address(request)
        ),
    )
    return ImportOut(updated=updated)
