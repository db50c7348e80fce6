"""The policy targets this domain computes from its exercise records.

Live and tabletop exercises held in the fiscal year: an exercise counts once it is
completed (an aborted one does not), in the year its start falls in, for every ward
that took part and once for all wards together (``joint``). Before any exercise was
ever recorded the targets show "no data yet" rather than a zero.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from rengo.core.wards import JOINT, ward_codes
from rengo.drills.models import Exercise, ExerciseWard
from rengo.targets.registry import (
    Compute,
    Measurement,
    TargetContext,
    declare,
)


def _held(kind: str) -> Compute:
    def compute(ctx: TargetContext) -> dict[str, Measurement]:
        if ctx.session.scalar(select(Exercise.id).limit(1)) is None:
            return {}
        rows = ctx.session.execute(
            select(Exercise.public_id, ExerciseWard.ward)
            .join(ExerciseWard, ExerciseWard.exercise_id == Exercise.id)
            .where(Exercise.kind == kind, Exercise.status == "completed")
            .where(Exercise.start_at >= ctx.start, Exercise.start_at <= ctx.as_of)
            .where(Exercise.ended_at.is_not(None), Exercise.ended_at <= ctx.as_of)
        ).all()
        per_ward: dict[str, set[str]] = defaultdict(set)
        for public_id, ward in rows:
            per_ward[ward].add(public_id)
        every = sorted({public_id for public_id, _ in rows})
        out = {
            w: Measurement(float(len(per_ward[w])), {"exercises": sorted(per_ward[w])})
            for w in ward_codes()
        }
        out[JOINT] = Measurement(float(len(every)), {"exercises": every})
        return out

    return compute


live_exercises = _held("live")
tabletop_exercises = _held("tabletop")


declare(
    Path(__file__).with_name("targets.toml"),
    {"live_exercises": live_exercises, "tabletop_exercises": tabletop_exercises},
)
