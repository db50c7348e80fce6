"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"planned") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m1.kpi.live_exercises",
        measure=1,
        kind=Kind.KPI,
        name_ja="実動演習の実施回数",
        name_en="Live cyber exercises held",
        formula_ja="年度内に実施したSOC/CSIRT・区職員参加の実動演習の回数",
        formula_en="Live exercises with SOC/CSIRT and ward IT staff held this fiscal year",
        source_ja="演習の実施記録",
        source_en="Exercise records",
        unit="回",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.exercises_live_per_year",
        period=Period.FISCAL_YEAR,
        domain="drills",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m1.kpi.tabletop_exercises",
        measure=1,
        kind=Kind.KPI,
        name_ja="首長・幹部向け机上演習の実施回数",
        name_en="Tabletop exercises for executives held",
        formula_ja="年度内に実施した首長・幹部向け机上演習の回数",
        formula_en="Tabletop exercises for mayors and executives held this fiscal year",
        source_ja="演習の実施記録",
        source_en="Exercise records",
        unit="回",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.exercises_tabletop_per_year",
        period=Period.FISCAL_YEAR,
        domain="drills",
        compute=None,
        evidence_path=None,
    )
)
