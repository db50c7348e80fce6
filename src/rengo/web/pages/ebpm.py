"""Pages of EBPM's logic models: the list, a new policy from a template, the model with its
diagram (server-side SVG and a table for screen readers), the approval flow, indicators
(with live scoreboard metrics), evaluation plans and estimates, exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import Principal, allows
from rengo.core.runtime import Runtime
from rengo.ebpm import approvals, evaluations, indicators, policies
from rengo.ebpm.diagram import render_svg
from rengo.ebpm.exports import DocumentKind, ExportFormat, export_policy
from rengo.ebpm.schemas import (
    ActualCreate,
    ElementCreate,
    EvaluationCreate,
    EvaluationRun,
    IndicatorFields,
    PolicyCreate,
)
from rengo.ebpm.templates import TEMPLATES
from rengo.ebpm.vocabulary import (
    DESIGNS,
    DIAGNOSTICS,
    DIRECTIONS,
    SOURCES,
    STAGES,
    STATUSES,
    STEPS,
)
from rengo.ebpm.zone.deposits import Zone
from rengo.targets.registry import fiscal_year_start, targets
from rengo.web.bodies import spreadsheet_upload
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
from rengo.web.errors import error_message
from rengo.web.i18n import N_, _, current_language
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m3", N_("Logic models"), "/ebpm", "ebpm.policies.read", order=10),
    NavItem("m3", N_("Data-literacy training"), "/ebpm/training", "ebpm.training.read", order=20),
    NavItem("m3", N_("Resident surveys"), "/ebpm/surveys", "ebpm.surveys.read", order=30),
]
VOCABULARY = {
    "STAGES": STAGES,
    "SOURCES": SOURCES,
    "DIRECTIONS": DIRECTIONS,
    "STATUSES": STATUSES,
    "STEPS": STEPS,
    "DESIGNS": DESIGNS,
    "DIAGNOSTICS": DIAGNOSTICS,
    "TEMPLATES": TEMPLATES,
}
EXPORT_FORMATS: dict[str, ExportFormat] = {
    "pdf": "pdf",
    "html": "html",
    "csv": "csv",
    "json": "json",
}
SAVED = {
    "created": N_("The policy was created."),
    "element": N_("The element was added."),
    "indicator": N_("The indicator was added."),
    "step": N_("The approval step was recorded."),
    "plan": N_("The evaluation plan was saved."),
    "result": N_("The estimate was stored as evidence."),
    "actual": N_("The actual was recorded."),
    "updated": N_("The policy was changed."),
    "element_updated": N_("The element was changed."),
    "element_removed": N_("The element was removed; its indicators stay, unattached."),
    "indicator_updated": N_("The indicator was changed."),
    "snapshot": N_("The live metrics' actuals of this period were stored."),
}


@router.get("/ebpm", response_class=HTMLResponse)
def policy_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    found = policies.list_policies(session, principal)
    return render(
        request,
        caller,
        "ebpm/list.html",
        {
            "policies": found,
            "can_write": allows(principal, "ebpm.policies.write"),
            **VOCABULARY,
        },
    )


def _new_page(
    request: Request,
    caller: CallerDep,
    values: dict[str, Any],
    problems: list[Problem],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        caller,
        "ebpm/new.html",
        {"values": values, "problems": problems, **VOCABULARY},
        status,
    )


@router.get("/ebpm/policies/new", response_class=HTMLResponse)
def new_policy_form(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> HTMLResponse:
    year = fiscal_year_start(runtime.clock.now()).year
    template = request.query_params.get("template") or ""
    return _new_page(
        request, caller, {"fiscal_year": year, "template": template, "is_new": True}, []
    )


def validated(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidInput("check the form", problems_from_validation(error)) from None


@router.post("/ebpm/policies", response_class=HTMLResponse, response_model=None)
async def create_policy(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        k: str(form.get(k) or "") for k in ("title", "department", "fiscal_year", "budget_line")
    }
    values["is_new"] = form.get("is_new") == "true"
    values["template"] = form.get("template") or None
    values["purpose"] = str(form.get("purpose") or "")
    values["budget_yen"] = form.get("budget_yen") or None
    try:
        data = validated(PolicyCreate, values)
        policy = policies.create_policy(session, principal, data, client=client_address(request))
    except InvalidInput as error:
        session.rollback()
        return _new_page(request, caller, values, error.problems, 422)
    return RedirectResponse(f"/ebpm/policies/{policy.id}?saved=created", status_code=303)


def detail_page(
    request: Request,
    caller: CallerDep,
    session: Session,
    runtime: Runtime,
    principal: Principal,
    policy_id: int,
    *,
    problems: list[Problem] | None = None,
    message: str = "",
    status: int = 200,
) -> HTMLResponse:
    policy = policies.visible_policy(session, principal, policy_id)
    model = policies.load_model(session, policy)
    now = runtime.clock.now()
    live = {
        i.id: indicators.live_value(session, runtime.settings, runtime.data_dir, i, now)
        for i in model.indicators
        if i.source == "metric"
    }
    plans = evaluations.plans(session, principal, policy.id)
    saved = request.query_params.get("saved") or ""
    language = current_language()
    return render(
        request,
        caller,
        "ebpm/detail.html",
        {
            "model": model,
            "policy": policy,
            "svg": render_svg(model, language),
            "live": live,
            "plans": plans,
            "versions": policies.versions(session, principal, policy.id),
            "results": evaluations.results(session, [p.id for p in plans]),
            "transitions": approvals.available(principal, policy),
            "can_edit": policy.status == "draft"
            and allows(principal, "ebpm.policies.write", policy.tenant),
            "can_evaluate": allows(principal, "ebpm.evaluations.write", policy.tenant),
            "releases": evaluations.releases_for(session, principal, policy.tenant),
            "can_record": allows(principal, "ebpm.policies.write", policy.tenant),
            "scoreboard": targets(),
            "problems": problems or [],
            "message": message,
            "flash": _(SAVED[saved]) if saved in SAVED else None,
            **VOCABULARY,
        },
        status,
    )


@router.get("/ebpm/policies/{policy_id}", response_class=HTMLResponse)
def policy_detail(
    policy_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    return detail_page(request, caller, session, runtime, principal, policy_id)


async def form_values(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "csrf_token" and v != ""}


def indicator_form(values: dict[str, Any]) -> IndicatorFields:
    """The indicator form (new or edited): the key-outcome box ticked or not; a metric or
    a survey question kept only for an indicator of that source."""
    values["key_outcome"] = values.get("key_outcome") == "true"
    for source, link in (("metric", "metric_target"), ("survey", "survey_question")):
        if values.get("source") != source:
            values[link] = None
    data: IndicatorFields = validated(IndicatorFields, values)
    return data


async def act(
    post: FormPost, session: Session, policy_id: int, saved: str, action: Any
) -> Response:
    """Run ``action`` (a form's change); on bad input show the model with the problems."""
    try:
        await action()
    except InvalidInput as error:
        session.rollback()
        return detail_page(
            post.request,
            post.caller,
            session,
            post.runtime,
            post.principal,
            policy_id,
            problems=error.problems,
            message=error_message(error),
            status=422,
        )
    return RedirectResponse(f"/ebpm/policies/{policy_id}?saved={saved}", status_code=303)


def _stored_form(
    path: str, model: type[BaseModel], store: Callable[..., object], saved: str
) -> None:
    """A route for a policy's form validated as ``model`` and handed to
    ``store(session, principal, policy_id, data, client=…)``; back to the model, ``saved``."""

    async def post_form(policy_id: IdPath, post: FormPostDep, session: SessionDep) -> Response:
        async def action() -> None:
            data = validated(model, await form_values(post.request))
            store(session, post.principal, policy_id, data, client=post.client)

        return await act(post, session, policy_id, saved, action)

    post_form.__name__ = f"store_{saved}"
    router.post(path, response_class=HTMLResponse, response_model=None)(post_form)


_stored_form("/ebpm/policies/{policy_id}/elements", ElementCreate, policies.add_element, "element")


@router.post(
    "/ebpm/policies/{policy_id}/indicators", response_class=HTMLResponse, response_model=None
)
async def add_indicator(
    policy_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        data = indicator_form(await form_values(post.request))
        indicators.add_indicator(session, post.principal, policy_id, data, client=post.client)

    return await act(post, session, policy_id, "indicator", action)


@router.post("/ebpm/policies/{policy_id}/actuals", response_class=HTMLResponse, response_model=None)
async def record_actual(
    policy_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        values = await form_values(post.request)
        raw = str(values.pop("indicator_id", ""))
        found = (
            indicators.visible_indicator(session, post.principal, int(raw))
            if raw.isdigit() and len(raw) < 10
            else None
        )
        if found is None or found.policy_id != policy_id:
            problem = Problem("not an indicator of this policy", "field indicator_id")
            raise InvalidInput("invalid actual", [problem])
        indicator = found
        data = validated(ActualCreate, values)
        indicators.record_actual(session, post.principal, indicator.id, data, client=post.client)

    return await act(post, session, policy_id, "actual", action)


@router.post(
    "/ebpm/policies/{policy_id}/transitions", response_class=HTMLResponse, response_model=None
)
async def take_step(
    policy_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    async def action() -> None:
        values = await form_values(post.request)
        approvals.transition(
            session,
            post.principal,
            policy_id,
            str(values.get("action") or ""),
            str(values.get("comment") or ""),
            client=post.client,
        )

    return await act(post, session, policy_id, "step", action)


_stored_form(
    "/ebpm/policies/{policy_id}/evaluations", EvaluationCreate, evaluations.create_plan, "plan"
)


@router.post(
    "/ebpm/evaluations/{evaluation_id}/results", response_class=HTMLResponse, response_model=None
)
async def run_evaluation(
    evaluation_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    evaluation = evaluations.visible_evaluation(session, post.principal, evaluation_id)
    form = await post.request.form()

    async def action() -> None:
        content, filename = await spreadsheet_upload(form)
        rows = evaluations.observations_from_file(content, filename)
        data = validated(
            EvaluationRun,
            {
                "method": form.get("method"),
                "intervention_period": form.get("intervention_period"),
                "observations": rows,
            },
        )
        evaluations.run(
            session,
            post.principal,
            evaluation.id,
            data,
            post.runtime.settings,
            source=f"file {filename}",
            client=post.client,
        )

    return await act(post, session, evaluation.policy_id, "result", action)


@router.post(
    "/ebpm/evaluations/{evaluation_id}/results/release",
    response_class=HTMLResponse,
    response_model=None,
)
async def run_on_release(
    evaluation_id: IdPath,
    post: FormPostDep,
    session: SessionDep,
) -> Response:
    evaluation = evaluations.visible_evaluation(session, post.principal, evaluation_id)

    async def action() -> None:
        values = await form_values(post.request)
        columns = {k: values[k] for k in ("unit", "period", "value", "treated") if k in values}
        data = validated(
            EvaluationRun,
            {
                "method": values.get("method"),
                "intervention_period": values.get("intervention_period"),
                "release_id": values.get("release_id"),
                "columns": columns,
            },
        )
        evaluations.run_on_release(
            session,
            post.principal,
            evaluation.id,
            data,
            post.runtime.settings,
            Zone.of(post.runtime),
            client=post.client,
        )

    return await act(post, session, evaluation.policy_id, "result", action)


@router.get("/ebpm/policies/{policy_id}/export")
def export(
    policy_id: IdPath, request: Request, principal: UserDep, session: SessionDep
) -> Response:
    fmt = EXPORT_FORMATS.get(request.query_params.get("format") or "pdf")
    if fmt is None:
        raise InvalidInput("unknown format", [Problem("pdf, html, csv or json", "format")])
    document: DocumentKind = (
        "budget" if request.query_params.get("document") == "budget" else "evaluation"
    )
    rendered = export_policy(
        session, principal, policy_id, fmt, document=document, client=client_address(request)
    )
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )
