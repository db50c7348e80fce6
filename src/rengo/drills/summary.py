"""An exercise's results in figures: per expectation and ward, the times people care
about (to detect, to acknowledge, to first containment), and the score.

Times are counted from the exercise's start in real minutes (what the SOC lived through)
and, divided back by the speed, in scenario minutes (what the scenario planned).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.types import TenantCode
from rengo.drills.models import Exercise, FollowUp, InjectRun, Result
from rengo.drills.service import scenario_of


@dataclass(frozen=True)
class ResultRow:
    expectation_id: str
    kind: str
    title_ja: str
    title_en: str
    ward: TenantCode
    status: str
    due_at: datetime
    met_at: datetime | None
    reference: str
    minutes_to_detect: float | None
    minutes_to_acknowledge: float | None
    minutes_to_contain: float | None
    acknowledged_by: str


@dataclass(frozen=True)
class Summary:
    exercise: Exercise
    rows: list[ResultRow]
    followups: list[FollowUp]
    injects: list[InjectRun]

    @property
    def met(self) -> int:
        return sum(1 for r in self.rows if r.status == "met")

    @property
    def score(self) -> float | None:
        """Share of expectations met, in percent (``None`` with none)."""
        return round(100 * self.met / len(self.rows), 1) if self.rows else None

    @property
    def contained_within_hour(self) -> bool | None:
        """The measure-1 KSI on this exercise: first containment within one hour."""
        times = [r.minutes_to_contain for r in self.rows if r.minutes_to_contain is not None]
        return min(times) <= 60 if times else None


def _minutes(exercise: Exercise, at: datetime | None) -> float | None:
    if at is None:
        return None
    return round((at - exercise.start_at).total_seconds() / 60, 2)


def summarise(session: Session, exercise: Exercise) -> Summary:
    by_id = {e.id: e for e in scenario_of(exercise).expectations}
    rows = []
    for r in session.scalars(
        select(Result).where(Result.exercise_id == exercise.id).order_by(Result.id)
    ):
        expectation = by_id[r.expectation_id]
        rows.append(
            ResultRow(
                r.expectation_id,
                r.kind,
                expectation.title.ja,
                expectation.title.en,
                r.ward,
                r.status,
                r.due_at,
                r.met_at,
                r.reference,
                _minutes(exercise, r.met_at),
                _minutes(exercise, r.acknowledged_at),
                _minutes(exercise, r.contained_at),
                r.acknowledged_by,
            )
        )
    followups = list(
        session.scalars(
            select(FollowUp).where(FollowUp.exercise_id == exercise.id).order_by(FollowUp.id)
        )
    )
    injects = list(
        session.scalars(
            select(InjectRun)
            .where(InjectRun.exercise_id == exercise.id)
            .order_by(InjectRun.due_minutes, InjectRun.ward)
        )
    )
    return Summary(exercise, rows, followups, injects)
