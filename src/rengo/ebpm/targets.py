"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"planned") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m3.kgi.policy_outcomes",
        measure=3,
        kind=Kind.KGI,
        name_ja="重要政策の成果指標の改善率",
        name_en="Key policy outcomes improved",
        formula_ja="ロジックモデルの成果指標の基準値からの改善率の平均(5年)",
        formula_en="Mean improvement of logic-model outcome indicators over their baseline (5 years)",
        source_ja="ロジックモデルの成果指標の測定値",
        source_en="Measured values of logic-model outcome indicators",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.policy_outcome_growth_pct",
        period=Period.FIVE_YEARS,
        domain="ebpm",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m3.ksi.logic_model_share",
        measure=3,
        kind=Kind.KSI,
        name_ja="ロジックモデルで評価した新規政策の割合",
        name_en="New policies evaluated with a logic model",
        formula_ja="ロジックモデルを用いて評価した新規政策数 ÷ 新規政策数 × 100",
        formula_en="New policies evaluated with a logic model ÷ new policies × 100",
        source_ja="政策とロジックモデルの登録",
        source_en="The policy and logic-model register",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.logic_model_share_pct",
        period=Period.FISCAL_YEAR,
        domain="ebpm",
        compute=None,
        evidence_path=None,
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
        compute=None,
        evidence_path=None,
    )
)
