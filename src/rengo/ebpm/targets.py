"""Measure 3's policy targets, computed live from EBPM's records (see ``measures``):

- KGI: mean improvement of designated key outcome indicators against their baselines
  over 5 years, per ward and joint;
- KSI: share of this fiscal year's new policies with an approved logic model and an
  evaluation plan, per ward and joint;
- KPI: required data-literacy course completion rate, per ward and joint.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rengo.core.clock import to_jst
from rengo.core.wards import JOINT
from rengo.ebpm.measures import new_policies, outcome_changes, training_by_ward
from rengo.ebpm.settings import EbpmSettings
from rengo.targets.registry import (
    Measurement,
    TargetContext,
    declare,
    fiscal_year_start,
)


def policy_outcomes(ctx: TargetContext) -> dict[str, Measurement]:
    years = ctx.settings.section(EbpmSettings).kgi_years
    changes = outcome_changes(ctx.session, ctx.as_of, years)
    if not changes:
        return {}
    per_ward: dict[str, list[float]] = defaultdict(list)
    for c in changes:
        per_ward[c.indicator.tenant].append(c.improvement_pct)

    def measurement(values: list[float]) -> Measurement:
        return Measurement(round(sum(values) / len(values), 1), {"indicators": len(values)})

    out = {ward: measurement(values) for ward, values in per_ward.items()}
    out[JOINT] = measurement([c.improvement_pct for c in changes])
    return out


def logic_model_share(ctx: TargetContext) -> dict[str, Measurement]:
    fiscal_year = fiscal_year_start(ctx.as_of).year
    rows = new_policies(ctx.session, fiscal_year, ctx.as_of)
    if not rows:
        return {}
    per_ward: dict[str, list[bool]] = defaultdict(list)
    for row in rows:
        per_ward[row.policy.tenant].append(row.counted)

    def measurement(flags: list[bool]) -> Measurement:
        return Measurement(
            round(100 * sum(flags) / len(flags), 1),
            {
                "new_policies": len(flags),
                "with_model_and_plan": sum(flags),
                "fiscal_year": fiscal_year,
            },
        )

    out = {ward: measurement(flags) for ward, flags in per_ward.items()}
    out[JOINT] = measurement([r.counted for r in rows])
    return out


def staff_trained(ctx: TargetContext) -> dict[str, Measurement]:
    course = ctx.settings.section(EbpmSettings).required_course
    rows = [r for r in training_by_ward(ctx.session, course, to_jst(ctx.as_of).date()) if r.staff]
    if not rows:
        return {}
    out = {
        r.ward: Measurement(r.pct, {"staff": r.staff, "completed": r.completed, "course": course})
        for r in rows
    }
    staff = sum(r.staff for r in rows)
    completed = sum(min(r.completed, r.staff) for r in rows)
    out[JOINT] = Measurement(
        round(100 * completed / staff, 1),
        {"staff": staff, "completed": completed, "course": course},
    )
    return out


declare(
    Path(__file__).with_name("targets.toml"),
    {
        "policy_outcomes": policy_outcomes,
        "logic_model_share": logic_model_share,
        "staff_trained": staff_trained,
    },
)
