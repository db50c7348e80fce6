"""Measure 3's policy targets, computed live from EBPM's records (see ``measures``):

- KGI: mean improvement of designated key outcome indicators against their baselines
  over 5 years, per ward and joint;
- KSI: share of this fiscal year's new policies with an approved logic model and an
  evaluation plan, per ward and joint;
- KPI: required data-literacy course completion rate, per ward and joint.
"""

from __future__ import annotations

from collections import defaultdict

from rengo.core.clock import to_jst
from rengo.core.wards import JOINT
from rengo.ebpm.measures import new_policies, outcome_changes, training_by_ward
from rengo.ebpm.settings import EbpmSettings
from rengo.targets.registry import (
    Direction,
    Kind,
    Measurement,
    Period,
    Target,
    TargetContext,
    fiscal_year_start,
    register,
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


register(
    Target(
        id="m3.kgi.policy_outcomes",
        measure=3,
        kind=Kind.KGI,
        name_ja="重要政策の成果指標の改善率",
        name_en="Key policy outcomes improved",
        formula_ja="ロジックモデルの成果指標の基準値からの改善率の平均(5年)",
        formula_en=(
            "Mean improvement of logic-model outcome indicators over their baseline (5 years)"
        ),
        source_ja="ロジックモデルの成果指標の測定値",
        source_en="Measured values of logic-model outcome indicators",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.policy_outcome_growth_pct",
        period=Period.FIVE_YEARS,
        domain="ebpm",
        compute=policy_outcomes,
        evidence_path="/ebpm/evidence/outcomes",
    )
)

register(
    Target(
        id="m3.ksi.logic_model_share",
        measure=3,
        kind=Kind.KSI,
        name_ja="ロジックモデルで評価した新規政策の割合",
        name_en="New policies evaluated with a logic model",
        formula_ja="承認済みロジックモデルと評価計画のある新規政策数 ÷ 今年度の新規政策数 × 100",
        formula_en=(
            "New policies with an approved logic model and an evaluation plan ÷ this fiscal "
            "year's new policies × 100"
        ),
        source_ja="政策とロジックモデルの登録",
        source_en="The policy and logic-model register",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.logic_model_share_pct",
        period=Period.FISCAL_YEAR,
        domain="ebpm",
        compute=logic_model_share,
        evidence_path="/ebpm/evidence/logic-models",
    )
)

register(
    Target(
        id="m3.kpi.staff_trained",
        measure=3,
        kind=Kind.KPI,
        name_ja="データ活用研修の修了率",
        name_en="Staff who completed data training",
        formula_ja="必修研修の修了者数 ÷ 対象職員数 × 100",
        formula_en="Staff who completed the required training ÷ staff × 100",
        source_ja="研修の受講記録",
        source_en="Training completion records",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.staff_trained_pct",
        period=Period.SNAPSHOT,
        domain="ebpm",
        compute=staff_trained,
        evidence_path="/ebpm/training",
    )
)
