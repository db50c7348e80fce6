"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"no data yet") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m2.kgi.operating_cost_growth",
        measure=2,
        kind=Kind.KGI,
        name_ja="標準化後の運用経費の増加率",
        name_en="Operating cost growth after standardisation",
        formula_ja="(移行後の年間運用経費(実績+予測) − 移行前の年間運用経費) ÷ 移行前 × 100",
        formula_en="(post-migration annual operating cost (actual + forecast) − pre-migration) ÷ pre-migration × 100",
        source_ja="FOCUS形式のクラウド請求データと移行前ベースライン",
        source_en="FOCUS billing data and pre-migration baselines",
        unit="%",
        direction=Direction.AT_MOST,
        threshold_setting="policy.operating_cost_growth_cap_pct",
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m2.ksi.bpr_renewal_share",
        measure=2,
        kind=Kind.KSI,
        name_ja="BPR実施後に更新した基幹業務システムの割合",
        name_en="Core systems renewed after a BPR",
        formula_ja="BPRを経て更新された基幹業務システム数 ÷ 更新された基幹業務システム数 × 100",
        formula_en="Core business systems renewed after a BPR ÷ core business systems renewed × 100",
        source_ja="BPR登録簿と情報資産台帳",
        source_en="The BPR register and the asset register",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.bpr_renewal_share_pct",
        period=Period.SNAPSHOT,
        domain="finops",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m2.kpi.cloud_savings",
        measure=2,
        kind=Kind.KPI,
        name_ja="クラウド利用料の最適化率",
        name_en="Cloud bill optimised",
        formula_ja="実施済みの最適化で実現した年間削減額 ÷ 年間クラウド利用料 × 100",
        formula_en="Savings realised by completed optimisations ÷ annual cloud bill × 100",
        source_ja="FOCUS請求データで測定した最適化前後の差",
        source_en="Before/after cost measured in FOCUS billing data",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.cloud_savings_pct",
        period=Period.ROLLING_YEAR,
        domain="finops",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m2.kpi.finops_trainings",
        measure=2,
        kind=Kind.KPI,
        name_ja="FinOps・BPR研修の受講者数",
        name_en="FinOps and BPR training participants",
        formula_ja="年度内の研修受講者数",
        formula_en="Participants of FinOps/BPR trainings this fiscal year",
        source_ja="研修の記録",
        source_en="Training records",
        unit="人",
        direction=Direction.TRACK,
        threshold_setting=None,
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m2.kpi.joint_procurements",
        measure=2,
        kind=Kind.KPI,
        name_ja="共同調達したシステム数",
        name_en="Systems procured jointly",
        formula_ja="共同調達の記録件数",
        formula_en="Joint procurement records",
        source_ja="共同調達の記録",
        source_en="Joint procurement records",
        unit="件",
        direction=Direction.TRACK,
        threshold_setting=None,
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=None,
        evidence_path=None,
    )
)
