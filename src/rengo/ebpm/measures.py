"""What measure 3's three targets are computed from, row by row — the targets
(``rengo.ebpm.targets``) aggregate these and the evidence pages show them.

- KSI: this fiscal year's new policies, each with whether it has an approved logic model
  and an evaluation plan;
- KGI: each designated key outcome indicator's latest actual against its baseline
  (improvement in percent of the baseline, sign by the indicator's direction), over the
  last ``ebpm.kgi_years`` years;
- training KPI: staff per ward and those who completed the required course.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from rengo.core.clock import to_jst
from rengo.core.types import TenantCode
from rengo.ebpm.models import Actual, Completion, Course, Evaluation, Indicator, Policy, StaffCount


@dataclass(frozen=True, slots=True)
class NewPolicy:
    policy: Policy
    approved: bool
    planned: bool

    @property
    def counted(self) -> bool:
        return self.approved and self.planned


def new_policies(session: Session, fiscal_year: int, as_of: datetime) -> list[NewPolicy]:
    policies = session.scalars(
        select(Policy)
        .where(Policy.is_new.is_(True), Policy.fiscal_year == fiscal_year)
        .where(Policy.created_at <= as_of)
        .order_by(Policy.tenant, Policy.id)
    ).all()
    planned = set(
        session.scalars(
            select(Evaluation.policy_id).where(
                Evaluation.policy_id.in_([p.id for p in policies]),
                Evaluation.created_at <= as_of,
            )
        )
    )
    return [
        NewPolicy(p, p.approved_at is not None and p.approved_at <= as_of, p.id in planned)
        for p in policies
    ]


@dataclass(frozen=True, slots=True)
class OutcomeChange:
    indicator: Indicator
    baseline: float
    latest: Actual

    @property
    def improvement_pct(self) -> float:
        change = (self.latest.value - self.baseline) / abs(self.baseline) * 100
        return -change if self.indicator.direction == "decrease" else change


def outcome_changes(session: Session, as_of: datetime, years: int) -> list[OutcomeChange]:
    day = to_jst(as_of).date()
    since = day - timedelta(days=round(365.25 * years))
    indicators = session.scalars(
        select(Indicator)
        .join(Policy, Policy.id == Indicator.policy_id)
        .where(Indicator.key_outcome.is_(True), Indicator.baseline.is_not(None))
        .where(Indicator.baseline != 0, Policy.approved_at.is_not(None))
        .where(Policy.approved_at <= as_of)
        .order_by(Indicator.tenant, Indicator.id)
    ).all()
    latest: dict[int, Actual] = {}
    if indicators:
        for actual in session.scalars(
            select(Actual)
            .where(Actual.indicator_id.in_([i.id for i in indicators]))
            .where(Actual.period_end <= day, Actual.period_end >= since)
            .order_by(Actual.period_end)
        ):
            latest[actual.indicator_id] = actual
    return [
        OutcomeChange(i, float(i.baseline or 0), latest[i.id])
        for i in indicators
        if i.id in latest and (i.baseline_date is None or i.baseline_date >= since)
    ]


@dataclass(frozen=True, slots=True)
class WardTraining:
    ward: TenantCode
    staff: int
    completed: int

    @property
    def pct(self) -> float | None:
        return round(100 * min(self.completed, self.staff) / self.staff, 1) if self.staff else None


def training_by_ward(session: Session, course_code: str, as_of: date) -> list[WardTraining]:
    staff = dict(
        session.execute(
            select(StaffCount.tenant, func.sum(StaffCount.staff)).group_by(StaffCount.tenant)
        ).all()
    )
    done: dict[str, int] = defaultdict(int)
    course_id = session.scalar(select(Course.id).where(Course.code == course_code))
    if course_id is not None:
        for ward, count in session.execute(
            select(Completion.tenant, func.count(distinct(Completion.staff_id)))
            .where(Completion.course_id == course_id, Completion.completed_on <= as_of)
            .group_by(Completion.tenant)
        ):
            done[ward] = int(count)
    return [WardTraining(w, int(staff[w] or 0), done.get(w, 0)) for w in sorted(staff)]
