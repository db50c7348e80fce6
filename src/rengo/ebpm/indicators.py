"""Indicators of a logic model and their actuals per period.

An indicator's data comes from an uploaded file (actuals entered or imported), the
resident survey (actuals follow the survey results of its question in its ward), or a
live rengo metric: any scoreboard target of ``rengo.targets.registry``, computed for the
policy's ward when asked.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.db import utcnow
from rengo.core.errors import InvalidInput, NotFound, Problem, problems_from_validation
from rengo.core.permissions import Principal, require
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.wards import JOINT
from rengo.ebpm.models import Actual, Element, Indicator, SurveyResult
from rengo.ebpm.policies import audit_policy, editable_policy, visible_policy
from rengo.ebpm.schemas import ActualCreate, IndicatorFields
from rengo.targets.registry import Measurement, TargetContext, get_target, period_start


def _check_links(session: Session, policy_id: int, data: IndicatorFields) -> None:
    problems = []
    if data.element_id is not None:
        element = session.get(Element, data.element_id)
        if element is None or element.policy_id != policy_id:
            problems.append(Problem("not an element of this policy", "field element_id"))
    if data.source == "metric" and data.metric_target:
        try:
            get_target(data.metric_target)
        except KeyError:
            problems.append(
                Problem(
                    "{target!r} is not a scoreboard target",
                    "field metric_target",
                    {"target": data.metric_target},
                )
            )
    if problems:
        raise InvalidInput("invalid indicator", problems)


def add_indicator(
    session: Session,
    principal: Principal,
    policy_id: int,
    data: IndicatorFields,
    *,
    client: str = "",
) -> Indicator:
    policy = editable_policy(session, principal, policy_id)
    _check_links(session, policy.id, data)
    indicator = Indicator(policy_id=policy.id, tenant=policy.tenant, **data.model_dump())
    if data.source != "metric":
        indicator.metric_target = None
    session.add(indicator)
    session.flush()
    if indicator.source == "survey":
        sync_survey_actuals(session, indicator)
    audit_policy(session, principal, "indicator.add", policy, client, {"indicator": indicator.id})
    return indicator


def visible_indicator(session: Session, principal: Principal, indicator_id: int) -> Indicator:
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound("indicator {indicator_id} not found", values={"indicator_id": indicator_id})
    visible_policy(session, principal, indicator.policy_id)
    return indicator


def update_indicator(
    session: Session,
    principal: Principal,
    indicator_id: int,
    changes: dict[str, object],
    *,
    client: str = "",
) -> Indicator:
    indicator = visible_indicator(session, principal, indicator_id)
    policy = editable_policy(session, principal, indicator.policy_id)
    current = IndicatorFields.model_validate(indicator, from_attributes=True).model_dump()
    try:
        data = IndicatorFields.model_validate({**current, **changes})
    except ValidationError as error:
        raise InvalidInput("invalid indicator", problems_from_validation(error)) from None
    _check_links(session, policy.id, data)
    changed = sorted(k for k, v in data.model_dump().items() if getattr(indicator, k) != v)
    for name in changed:
        setattr(indicator, name, getattr(data, name))
    if indicator.source != "metric":
        indicator.metric_target = None
    if indicator.source == "survey":
        sync_survey_actuals(session, indicator)
    audit_policy(
        session,
        principal,
        "indicator.update",
        policy,
        client,
        {"indicator": indicator.id, "fields": changed},
    )
    return indicator


def record_actual(
    session: Session,
    principal: Principal,
    indicator_id: int,
    data: ActualCreate,
    *,
    client: str = "",
) -> Actual:
    """An actual for one period (replacing an earlier value of that period); policy staff
    record actuals at any status, since measuring continues after approval."""
    indicator = visible_indicator(session, principal, indicator_id)
    policy = visible_policy(session, principal, indicator.policy_id)
    require(principal, "ebpm.policies.write", policy.tenant, hide=True)
    actual = session.scalar(
        select(Actual).where(
            Actual.indicator_id == indicator.id, Actual.period_end == data.period_end
        )
    )
    if actual is None:
        actual = Actual(indicator_id=indicator.id, period_end=data.period_end, value=data.value)
        session.add(actual)
    actual.value, actual.margin, actual.note = data.value, data.margin, data.note
    actual.source, actual.recorded_at = "manual", utcnow()
    session.flush()
    audit_policy(
        session,
        principal,
        "actual.record",
        policy,
        client,
        {"indicator": indicator.id, "period_end": data.period_end.isoformat(), "value": data.value},
    )
    return actual


def survey_period_end(year: int) -> date:
    """A survey of fiscal year ``year`` (年度) measures the year ending 31 March."""
    return date(year + 1, 3, 31)


def sync_survey_actuals(session: Session, indicator: Indicator) -> int:
    """Make the indicator's actuals the survey results of its question in its ward."""
    if indicator.source != "survey" or not indicator.survey_question:
        return 0
    results = session.scalars(
        select(SurveyResult).where(
            SurveyResult.tenant == indicator.tenant,
            SurveyResult.question == indicator.survey_question,
        )
    ).all()
    existing = {
        a.period_end: a
        for a in session.scalars(select(Actual).where(Actual.indicator_id == indicator.id))
    }
    for result in results:
        end = survey_period_end(result.year)
        actual = existing.get(end)
        if actual is None:
            actual = Actual(indicator_id=indicator.id, period_end=end, value=result.positive_pct)
            session.add(actual)
        actual.value, actual.margin = result.positive_pct, result.margin_pct
        actual.note, actual.source = f"survey n={result.sample_size}", "survey"
    session.flush()
    return len(results)


def metric_values(
    session: Session, settings: Settings, data_dir: DataDir, target_id: str, as_of: datetime
) -> dict[str, Measurement]:
    """A scoreboard target's values per tenant at ``as_of`` (empty if it is not computed)."""
    target = get_target(target_id)
    if target.compute is None:
        return {}
    ctx = TargetContext(
        session=session,
        settings=settings,
        data_dir=data_dir,
        as_of=as_of,
        start=period_start(target.period, as_of),
    )
    return dict(target.compute(ctx))


def value_for(values: dict[str, Measurement], tenant: str) -> Measurement | None:
    """The ward's own value of a target, else the joint one."""
    return values.get(tenant) or values.get(JOINT)


def live_value(
    session: Session,
    settings: Settings,
    data_dir: DataDir,
    indicator: Indicator,
    as_of: datetime,
) -> Measurement | None:
    """The current value of a live-metric indicator for its ward (``None`` if no data)."""
    if indicator.source != "metric" or not indicator.metric_target:
        return None
    values = metric_values(session, settings, data_dir, indicator.metric_target, as_of)
    return value_for(values, indicator.tenant)
