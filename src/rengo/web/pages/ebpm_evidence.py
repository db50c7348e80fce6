"""EBPM evidence pages: the training KPI (completion per ward and department, HR import),
the KSI (this year's new policies and their logic models), the KGI (key outcome
indicators against their baselines) and resident survey results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from rengo.core.clock import to_jst
from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import Principal, allows, require, visible_tenants
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.ebpm import policies, reminders, roster, surveys, training
from rengo.ebpm.measures import new_policies, outcome_changes, training_by_ward
from rengo.ebpm.settings import EbpmSettings
from rengo.ebpm.vocabulary import STATUSES
from rengo.targets.registry import fiscal_year_start
from rengo.web.bodies import spreadsheet_upload
from rengo.web.deps import CallerDep, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_message
from rengo.web.i18n import _
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


def _training_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    *,
    problems: list[Problem] | None = None,
    message: str = "",
    result: str = "",
    status: int = 200,
) -> HTMLResponse:
    require(principal, "ebpm.training.read")
    code = runtime.settings.section(EbpmSettings).required_course
    today = to_jst(runtime.clock.now()).date()
    tenants = visible_tenants(principal, "ebpm.training.read")
    wards = [
        w for w in training_by_ward(session, code, today) if tenants is None or w.ward in tenants
    ]
    return render(
        request,
        caller,
        "ebpm/training.html",
        {
            "courses": training.courses(session),
            "wards_rows": wards,
            "departments": training.visible_rates(session, principal, code),
            "required": code,
            "can_write": allows(principal, "ebpm.training.write"),
            "reminders": reminders.recent(session, principal, limit=100),
            "interval_days": runtime.settings.section(EbpmSettings).reminder_interval_days,
            "problems": problems or [],
            "message": message,
            "flash": result or None,
        },
        status,
    )


def _training_refused(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    error: InvalidInput,
) -> HTMLResponse:
    """The page again with what was wrong (422); nothing of the refused input is kept."""
    session.rollback()
    return _training_page(
        request,
        caller,
        principal,
        session,
        runtime,
        problems=error.problems,
        message=error_message(error),
        status=422,
    )


@router.get("/ebpm/training", response_class=HTMLResponse)
def training_page(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return _training_page(request, caller, principal, session, runtime)


@dataclass(frozen=True, slots=True)
class TrainingFile:
    """A training file as uploaded, with who uploaded it and from where."""

    session: Session
    principal: Principal
    runtime: Runtime
    data: bytes
    name: str
    client: str


Importer = Callable[[TrainingFile], str]


def _completions(upload: TrainingFile) -> str:
    result = training.import_completions(
        upload.session, upload.principal, upload.data, filename=upload.name, client=upload.client
    )
    return _("%(created)s completions added, %(updated)s updated.") % {
        "created": result.created,
        "updated": result.updated,
    }


def _staff_counts(upload: TrainingFile) -> str:
    count = training.import_staff_counts(
        upload.session, upload.principal, upload.data, filename=upload.name, client=upload.client
    )
    return _("Staff counts of %(n)s departments stored.") % {"n": count}


def _roster(upload: TrainingFile) -> str:
    result = roster.import_roster(
        upload.session,
        upload.principal,
        upload.data,
        upload.runtime.clock,
        filename=upload.name,
        client=upload.client,
    )
    return _("%(created)s staff added to the roster, %(updated)s updated.") % {
        "created": result.created,
        "updated": result.updated,
    }


IMPORTERS: dict[str, Importer] = {
    "completions": _completions,
    "staff": _staff_counts,
    "roster": _roster,
}


@router.post("/ebpm/training/import", response_class=HTMLResponse)
async def training_import(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    form = await request.form()
    kind = form.get("kind") or "completions"
    try:
        content, filename = await spreadsheet_upload(form)
        importer = IMPORTERS.get(str(kind))
        if importer is None:
            raise InvalidInput("unknown kind", [Problem(_("Choose what the file holds."), "kind")])
        done = importer(
            TrainingFile(session, principal, runtime, content, filename, client_address(request))
        )
    except InvalidInput as error:
        return _training_refused(request, caller, principal, session, runtime, error)
    return _training_page(request, caller, principal, session, runtime, result=done)


@router.post("/ebpm/training/reminders", response_class=HTMLResponse)
async def send_reminders(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    form = await request.form()
    ward = str(form.get("ward") or "") or None
    run = reminders.remind_now(
        session,
        principal,
        runtime.settings,
        runtime.clock.now(),
        ward,
        client=client_address(request),
    )
    done = _(
        "%(sent)s reminders sent; %(recent)s were reminded recently; "
        "%(missing)s have no e-mail address in the roster."
    ) % {"sent": run.sent, "recent": run.recently_reminded, "missing": run.without_email}
    return _training_page(request, caller, principal, session, runtime, result=done)


class CompletionForm(BaseModel):
    ward: TenantCode = Field(min_length=1, max_length=8)
    staff_id: str = Field(min_length=1, max_length=64)
    department: str = Field("", max_length=128)
    course: str = Field(min_length=1, max_length=32)
    completed_on: date


@router.post("/ebpm/training/completions", response_class=HTMLResponse)
async def record_completion(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    form = await request.form()
    values = {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str) and v}
    try:
        try:
            data = CompletionForm.model_validate(values)
        except ValidationError as error:
            raise InvalidInput("check the form", problems_from_validation(error)) from None
        training.record_completion(
            session,
            principal,
            ward=data.ward,
            staff_id=data.staff_id,
            department=data.department,
            course_code=data.course,
            completed_on=data.completed_on,
            client=client_address(request),
        )
    except InvalidInput as error:
        return _training_refused(request, caller, principal, session, runtime, error)
    done = _("The completion was recorded.")
    return _training_page(request, caller, principal, session, runtime, result=done)


@router.get("/ebpm/evidence/logic-models", response_class=HTMLResponse)
def ksi_evidence(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    require(principal, "targets.read")
    now = runtime.clock.now()
    year = fiscal_year_start(now).year
    rows = new_policies(session, year, now)
    return render(
        request,
        caller,
        "ebpm/evidence_ksi.html",
        {
            "rows": rows,
            "readable": {r.policy.id for r in rows if policies.readable(principal, r.policy)},
            "fiscal_year": year,
            "STATUSES": STATUSES,
        },
    )


@router.get("/ebpm/evidence/outcomes", response_class=HTMLResponse)
def kgi_evidence(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    require(principal, "targets.read")
    years = runtime.settings.section(EbpmSettings).kgi_years
    rows = outcome_changes(session, runtime.clock.now(), years)
    return render(request, caller, "ebpm/evidence_kgi.html", {"rows": rows, "years": years})


@router.get("/ebpm/surveys", response_class=HTMLResponse)
def survey_page(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    return render(
        request,
        caller,
        "ebpm/surveys.html",
        {
            "results": surveys.survey_results(session, principal),
            "can_write": allows(principal, "ebpm.surveys.import"),
            "problems": [],
        },
    )


@router.post("/ebpm/surveys/import", response_class=HTMLResponse)
async def survey_import(
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    form = await request.form()
    problems: list[Problem] = []
    message = flash = ""
    try:
        content, filename = await spreadsheet_upload(form)
        result = surveys.import_surveys(
            session,
            principal,
            content,
            runtime.settings,
            filename=filename,
            client=client_address(request),
        )
        flash = _("%(n)s questions stored; %(i)s indicators updated.") % {
            "n": result.questions,
            "i": result.indicators_updated,
        }
    except InvalidInput as error:
        session.rollback()
        problems, message = error.problems, error_message(error)
    return render(
        request,
        caller,
        "ebpm/surveys.html",
        {
            "results": surveys.survey_results(session, principal),
            "can_write": True,
            "problems": problems,
            "message": message,
            "flash": flash or None,
        },
        422 if problems else 200,
    )
