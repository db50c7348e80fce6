"""Evaluation plans of a policy and their results, attached to an indicator as evidence.

A plan names the design, the comparison group and the timing; running it on data (an
uploaded table of unit, period, value, treated, or an approved release of the policy's
ward from the data-linkage zone, read through ``rengo.ebpm.zone.feeds.released_table``)
stores the estimate with its assumptions and diagnostics, and where the data came from.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import (
    InvalidInput,
    NotFound,
    Problem,
    ProblemList,
    problems_from_validation,
)
from rengo.core.permissions import Principal, allows, require
from rengo.core.settings import Settings
from rengo.core.tables import number, read_table
from rengo.ebpm.estimators import Panel, estimate
from rengo.ebpm.estimators.base import Options
from rengo.ebpm.models import Evaluation, EvaluationResult, Indicator
from rengo.ebpm.policies import visible_policy
from rengo.ebpm.schemas import EvaluationCreate, EvaluationRun, ReleaseColumns
from rengo.ebpm.settings import EbpmSettings
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.feeds import released_table
from rengo.ebpm.zone.models import ZoneRelease


def _audit(
    session: Session,
    principal: Principal,
    action: str,
    evaluation: Evaluation,
    client: str,
    **detail: object,
) -> None:
    audit.record(
        session,
        principal,
        f"ebpm.evaluation.{action}",
        object_type="ebpm_evaluation",
        object_id=evaluation.id,
        object_tenant=evaluation.tenant,
        detail=dict(detail),
        client=client,
    )


def create_plan(
    session: Session,
    principal: Principal,
    policy_id: int,
    data: EvaluationCreate,
    *,
    client: str = "",
) -> Evaluation:
    policy = visible_policy(session, principal, policy_id)
    require(principal, "ebpm.evaluations.write", policy.tenant, hide=True)
    if data.indicator_id is not None:
        indicator = session.get(Indicator, data.indicator_id)
        if indicator is None or indicator.policy_id != policy.id:
            raise InvalidInput(
                "invalid evaluation plan",
                [Problem("not an indicator of this policy", "field indicator_id")],
            )
    evaluation = Evaluation(policy_id=policy.id, tenant=policy.tenant, **data.model_dump())
    session.add(evaluation)
    session.flush()
    _audit(session, principal, "plan", evaluation, client, design=data.design)
    return evaluation


def visible_evaluation(session: Session, principal: Principal, evaluation_id: int) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(
            "evaluation {evaluation_id} not found", values={"evaluation_id": evaluation_id}
        )
    visible_policy(session, principal, evaluation.policy_id)
    return evaluation


def plans(session: Session, principal: Principal, policy_id: int) -> list[Evaluation]:
    policy = visible_policy(session, principal, policy_id)
    return list(
        session.scalars(
            select(Evaluation).where(Evaluation.policy_id == policy.id).order_by(Evaluation.id)
        )
    )


def results(session: Session, evaluation_ids: list[int]) -> dict[int, list[EvaluationResult]]:
    out: dict[int, list[EvaluationResult]] = {i: [] for i in evaluation_ids}
    if evaluation_ids:
        for r in session.scalars(
            select(EvaluationResult)
            .where(EvaluationResult.evaluation_id.in_(evaluation_ids))
            .order_by(EvaluationResult.id)
        ):
            out[r.evaluation_id].append(r)
    return out


def options(settings: Settings) -> Options:
    own = settings.section(EbpmSettings)
    return Options(
        bootstrap_below_clusters=own.wild_bootstrap_below_clusters,
        bootstrap_replications=own.bootstrap_replications,
    )


def run(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    data: EvaluationRun,
    settings: Settings,
    *,
    source: str = "api",
    release: dict[str, Any] | None = None,
    client: str = "",
) -> EvaluationResult:
    evaluation = visible_evaluation(session, principal, evaluation_id)
    require(principal, "ebpm.evaluations.write", evaluation.tenant, hide=True)
    if data.observations is None:
        raise InvalidInput(
            "no data", [Problem("give observations (or use a release)", "field observations")]
        )
    panel = Panel.of(
        [(o.unit, o.period, o.value, o.treated) for o in data.observations],
        data.intervention_period,
    )
    result = estimate(data.method, panel, options(settings))
    row = EvaluationResult(
        evaluation_id=evaluation.id,
        method=result.method,
        estimate=result.estimate,
        ci_low=result.ci_low,
        ci_high=result.ci_high,
        detail={
            **result.detail(),
            "source": source,
            **({"release": release} if release else {}),
            "observations": len(data.observations),
            "intervention_period": data.intervention_period,
        },
        actor=principal.label,
    )
    session.add(row)
    session.flush()
    _audit(session, principal, "run", evaluation, client, method=data.method, result=row.id)
    return row


def run_on_release(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    data: EvaluationRun,
    settings: Settings,
    zone: Zone,
    *,
    client: str = "",
) -> EvaluationResult:
    """Run the estimator on an approved release of the policy's ward (``data.release_id``;
    ``data.columns`` names its unit, period, value and treated columns). The release's use
    is audited by the zone; the result records which release it was."""
    evaluation = visible_evaluation(session, principal, evaluation_id)
    require(principal, "ebpm.evaluations.write", evaluation.tenant, hide=True)
    if data.release_id is None:
        raise InvalidInput("no release", [Problem("choose a release", "field release_id")])
    frame = released_table(
        session, zone, principal, data.release_id, evaluation_id=evaluation.id, client=client
    )
    if frame.attrs.get("ward") != evaluation.tenant:
        raise InvalidInput(
            "the release is of another ward",
            [Problem("a release of the policy's own ward", "field release_id")],
        )
    mapping = (data.columns or ReleaseColumns()).model_dump()
    missing = [
        Problem("{column!r} is not a released column", f"field columns.{key}", {"column": name})
        for key, name in mapping.items()
        if name and name not in frame.columns
    ]
    if missing:
        raise InvalidInput("the release has no such column", missing)
    renamed = frame.rename(columns={name: key for key, name in mapping.items() if name})
    name = f"release-{data.release_id}.csv"
    rows = observations_from_file(renamed.to_csv(index=False).encode("utf-8"), name)
    try:
        filled = EvaluationRun.model_validate(
            {
                "method": data.method,
                "intervention_period": data.intervention_period,
                "observations": rows,
            }
        )
    except ValidationError as error:
        raise InvalidInput("cannot use the release", problems_from_validation(error)) from None
    provenance = {
        "release_id": data.release_id,
        "title": frame.attrs.get("title"),
        "k": frame.attrs.get("k"),
        "l_diversity": frame.attrs.get("l_diversity"),
        "columns": {k: v for k, v in mapping.items() if v},
    }
    return run(
        session,
        principal,
        evaluation.id,
        filled,
        settings,
        source=f"release {data.release_id}",
        release=provenance,
        client=client,
    )


def releases_for(session: Session, principal: Principal, ward: str) -> list[ZoneRelease]:
    """Approved releases of ``ward`` the principal may evaluate on (the page's picker)."""
    if not allows(principal, "ebpm.zone.release.read", ward):
        return []
    return list(
        session.scalars(
            select(ZoneRelease)
            .where(ZoneRelease.ward == ward, ZoneRelease.status == "approved")
            .order_by(ZoneRelease.id.desc())
        )
    )


DATA_COLUMNS = {
    "unit": ("区", "単位", "ward"),
    "period": ("期間", "年度", "year"),
    "value": ("値",),
    "treated": ("対象", "介入"),
}
_TRUE = {"1", "true", "yes", "はい", "○", "対象"}
_FALSE = {"0", "false", "no", "いいえ", "×", "", "対照"}


def observations_from_file(data: bytes, filename: str) -> list[dict[str, object]]:
    """Rows of an uploaded evaluation table (unit, period, value, treated), all or nothing."""
    problems = ProblemList()
    out: list[dict[str, object]] = []
    for row in read_table(data, filename, DATA_COLUMNS, set(DATA_COLUMNS)):
        period = number(row, "period", problems, integer=True)
        value = number(row, "value", problems)
        flag = row.cells["treated"].lower()
        if flag not in _TRUE | _FALSE:
            problems.add("{value!r} is not 1/0 (yes/no)", row.where("treated"), {"value": flag})
        if not row.cells["unit"]:
            problems.add("empty", row.where("unit"))
        out.append(
            {"unit": row.cells["unit"], "period": period, "value": value, "treated": flag in _TRUE}
        )
    problems.raise_if_any("cannot read the evaluation data")
    return out
