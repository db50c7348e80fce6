"""EBPM over JSON: policies and their logic models, the approval flow, indicators, exports."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from rengo.core.types import TenantCode
from rengo.ebpm import approvals, indicators, policies, snapshots
from rengo.ebpm.exports import DocumentKind, ExportFormat, export_policy
from rengo.ebpm.models import Indicator
from rengo.ebpm.schemas import (
    ActualCreate,
    ActualOut,
    ElementCreate,
    ElementOut,
    IndicatorFields,
    IndicatorOut,
    IndicatorPatch,
    PolicyCreate,
    PolicyDetailOut,
    PolicyOut,
    PolicyPatch,
    StatusKey,
    TransitionIn,
)
from rengo.ebpm.templates import TEMPLATES
from rengo.web.deps import ActingDep, IdPath, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/ebpm", tags=["ebpm"])


class TemplateOut(BaseModel):
    key: str
    name_ja: str
    name_en: str
    purpose: str


class VersionOut(BaseModel):
    version: int
    actor: str
    at: str
    snapshot: dict[str, Any]


class LiveValueOut(BaseModel):
    indicator_id: int
    metric_target: str | None
    value: float | None
    detail: dict[str, Any]


def _detail(model: policies.LogicModel) -> PolicyDetailOut:
    out = PolicyDetailOut.model_validate(model.policy)
    out.elements = [ElementOut.model_validate(e) for e in model.elements]
    out.indicators = [_indicator_out(i, model) for i in model.indicators]
    out.approvals = [
        {
            "step": a.step,
            "decision": a.decision,
            "version": a.version,
            "actor": a.actor,
            "role": a.role,
            "comment": a.comment,
            "at": a.at.isoformat(),
        }
        for a in model.approvals
    ]
    return out


def _indicator_out(indicator: Indicator, model: policies.LogicModel | None = None) -> IndicatorOut:
    out = IndicatorOut.model_validate(indicator)
    if model is not None:
        out.actuals = [ActualOut.model_validate(a) for a in model.actuals.get(indicator.id, [])]
    return out


@router.get("/templates", response_model=list[TemplateOut], summary="Logic-model templates")
def list_templates(principal: UserDep) -> list[TemplateOut]:
    return [
        TemplateOut(key=t.key, name_ja=t.name_ja, name_en=t.name_en, purpose=t.purpose)
        for t in TEMPLATES.values()
    ]


@router.get(
    "/policies",
    response_model=list[PolicyOut],
    summary="Policies of one's ward and every ward's published (approved) ones",
)
def list_policies(
    principal: UserDep,
    session: SessionDep,
    ward: Annotated[TenantCode | None, Query(description="Ward code")] = None,
    fiscal_year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: StatusKey | None = None,
) -> list[PolicyOut]:
    found = policies.list_policies(
        session, principal, ward=ward, fiscal_year=fiscal_year, status=status
    )
    return [PolicyOut.model_validate(p) for p in found]


@router.post(
    "/policies",
    response_model=PolicyDetailOut,
    status_code=201,
    summary="Create a policy, optionally from a template",
)
def create_policy(
    body: PolicyCreate,
    response: Response,
    by: ActingDep,
) -> PolicyDetailOut:
    policy = policies.create_policy(by.session, by.principal, body, client=by.client)
    response.headers["Location"] = f"/api/v1/ebpm/policies/{policy.id}"
    return _detail(policies.load_model(by.session, policy))


@router.get("/policies/{policy_id}", response_model=PolicyDetailOut, summary="One logic model")
def read_policy(policy_id: IdPath, principal: UserDep, session: SessionDep) -> PolicyDetailOut:
    policy = policies.visible_policy(session, principal, policy_id)
    return _detail(policies.load_model(session, policy))


@router.patch(
    "/policies/{policy_id}", response_model=PolicyDetailOut, summary="Change a draft policy"
)
def patch_policy(policy_id: IdPath, body: PolicyPatch, by: ActingDep) -> PolicyDetailOut:
    policy = policies.update_policy(by.session, by.principal, policy_id, body, client=by.client)
    return _detail(policies.load_model(by.session, policy))


@router.post(
    "/policies/{policy_id}/elements",
    response_model=ElementOut,
    status_code=201,
    summary="Add an element (input, activity, output, outcome, impact) to a draft",
)
def add_element(
    policy_id: IdPath,
    body: ElementCreate,
    by: ActingDep,
) -> ElementOut:
    element = policies.add_element(by.session, by.principal, policy_id, body, client=by.client)
    return ElementOut.model_validate(element)


@router.patch(
    "/policies/{policy_id}/elements/{element_id}",
    response_model=ElementOut,
    summary="Change an element's stage or text (a draft only)",
)
def update_element(
    policy_id: IdPath,
    element_id: IdPath,
    body: ElementCreate,
    by: ActingDep,
) -> ElementOut:
    element = policies.update_element(
        by.session, by.principal, policy_id, element_id, body, client=by.client
    )
    return ElementOut.model_validate(element)


@router.delete(
    "/policies/{policy_id}/elements/{element_id}",
    status_code=204,
    summary="Remove an element of a draft (its indicators stay, unattached)",
)
def remove_element(policy_id: IdPath, element_id: IdPath, by: ActingDep) -> Response:
    policies.remove_element(by.session, by.principal, policy_id, element_id, client=by.client)
    return Response(status_code=204)


@router.post(
    "/policies/{policy_id}/transitions",
    response_model=PolicyDetailOut,
    summary="Submit, approve, return or revise (the approval flow)",
)
def take_transition(policy_id: IdPath, body: TransitionIn, by: ActingDep) -> PolicyDetailOut:
    policy = approvals.transition(
        by.session, by.principal, policy_id, body.action, body.comment, client=by.client
    )
    return _detail(policies.load_model(by.session, policy))


@router.get(
    "/policies/{policy_id}/versions",
    response_model=list[VersionOut],
    summary="The frozen versions of a logic model, newest first",
)
def list_versions(policy_id: IdPath, principal: UserDep, session: SessionDep) -> list[VersionOut]:
    return [
        VersionOut(version=v.version, actor=v.actor, at=v.at.isoformat(), snapshot=v.snapshot)
        for v in policies.versions(session, principal, policy_id)
    ]


@router.get(
    "/policies/{policy_id}/export",
    summary="The logic model as PDF or HTML (政策評価調書 attachment), CSV or JSON",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {},
                "text/html": {},
                "text/csv": {},
                "application/json": {},
            }
        }
    },
)
def export(
    policy_id: IdPath,
    by: ActingDep,
    format: ExportFormat = "pdf",
    document: Annotated[
        DocumentKind, Query(description="PDF/HTML for the evaluation sheet or the budget request")
    ] = "evaluation",
) -> Response:
    rendered = export_policy(
        by.session, by.principal, policy_id, format, document=document, client=by.client
    )
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@router.post(
    "/policies/{policy_id}/indicators",
    response_model=IndicatorOut,
    status_code=201,
    summary="Add an indicator (uploaded data, survey, or a live scoreboard metric)",
)
def add_indicator(
    policy_id: IdPath,
    body: IndicatorFields,
    by: ActingDep,
) -> IndicatorOut:
    indicator = indicators.add_indicator(
        by.session, by.principal, policy_id, body, client=by.client
    )
    return _indicator_out(indicator)


@router.get("/indicators/{indicator_id}", response_model=IndicatorOut, summary="One indicator")
def read_indicator(indicator_id: IdPath, principal: UserDep, session: SessionDep) -> IndicatorOut:
    indicator = indicators.visible_indicator(session, principal, indicator_id)
    model = policies.load_model(
        session, policies.visible_policy(session, principal, indicator.policy_id)
    )
    return _indicator_out(indicator, model)


@router.patch(
    "/indicators/{indicator_id}",
    response_model=IndicatorOut,
    summary="Change an indicator of a draft (e.g. link it to a live scoreboard target)",
)
def patch_indicator(
    indicator_id: IdPath,
    body: IndicatorPatch,
    by: ActingDep,
) -> IndicatorOut:
    indicator = indicators.update_indicator(
        by.session,
        by.principal,
        indicator_id,
        body.model_dump(exclude_unset=True),
        client=by.client,
    )
    return _indicator_out(indicator)


@router.post(
    "/indicators/{indicator_id}/actuals",
    response_model=ActualOut,
    status_code=201,
    summary="Record the actual of one period",
)
def record_actual(
    indicator_id: IdPath,
    body: ActualCreate,
    by: ActingDep,
) -> ActualOut:
    actual = indicators.record_actual(
        by.session, by.principal, indicator_id, body, client=by.client
    )
    return ActualOut.model_validate(actual)


@router.get(
    "/indicators/{indicator_id}/live",
    response_model=LiveValueOut,
    summary="The current value of a live-metric indicator for its ward",
)
def live_value(
    indicator_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> LiveValueOut:
    indicator = indicators.visible_indicator(session, principal, indicator_id)
    m = indicators.live_value(
        session, runtime.settings, runtime.data_dir, indicator, runtime.clock.now()
    )
    return LiveValueOut(
        indicator_id=indicator.id,
        metric_target=indicator.metric_target,
        value=m.value if m else None,
        detail=m.detail if m else {},
    )


@router.post(
    "/policies/{policy_id}/snapshots",
    response_model=list[ActualOut],
    summary="Store the current period's actual of each live-metric indicator of the policy now",
)
def take_snapshots(
    policy_id: IdPath,
    by: ActingDep,
    runtime: RuntimeDep,
) -> list[ActualOut]:
    taken = snapshots.take_for_policy(
        by.session,
        by.principal,
        runtime.settings,
        runtime.data_dir,
        runtime.clock.now(),
        policy_id,
        client=by.client,
    )
    return [ActualOut.model_validate(a) for a in taken]
