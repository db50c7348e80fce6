"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"no data yet") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m1.kpi.critical_intel_shared",
        measure=1,
        kind=Kind.KPI,
        name_ja="重要脅威情報の共有件数",
        name_en="Critical intelligence shared",
        formula_ja="期間内に全区へ共有(公開)された重要な脅威情報の件数",
        formula_en="Critical intelligence objects published to the wards in the period",
        source_ja="脅威情報共有基盤の公開記録",
        source_en="Publication records of the intelligence hub",
        unit="件",
        direction=Direction.TRACK,
        threshold_setting=None,
        period=Period.FISCAL_YEAR,
        domain="intel",
        compute=None,
        evidence_path=None,
    )
)
