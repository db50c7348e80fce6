"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"no data yet") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m1.kgi.major_incidents",
        measure=1,
        kind=Kind.KGI,
        name_ja="重大インシデント件数",
        name_en="Major incidents",
        formula_ja="期間内に発生した重大インシデント(1万人以上の個人情報漏えい、または基幹システム24時間以上停止)の件数",
        formula_en="Incidents in the period that leaked personal data of ≥ 10,000 people or stopped a core system ≥ 24 h",
        source_ja="CSIRTのインシデント記録(影響人数・停止時間は記録された時刻から自動判定)",
        source_en="CSIRT incident records (people affected and outage times, judged automatically)",
        unit="件",
        direction=Direction.AT_MOST,
        threshold_setting=None,
        period=Period.FISCAL_YEAR,
        domain="csirt",
        compute=None,
        evidence_path="/incidents?major=true",
        threshold_value=0,
    )
)

register(
    Target(
        id="m1.ksi.mean_time_to_contain",
        measure=1,
        kind=Kind.KSI,
        name_ja="検知から初動封じ込めまでの平均時間",
        name_en="Mean time from detection to first containment",
        formula_ja="Σ(最初の封じ込め成功時刻 − 検知時刻) ÷ 封じ込めたインシデント数",
        formula_en="Σ(first successful containment − detection) ÷ incidents contained",
        source_ja="インシデントのタイムラインに記録された検知時刻と封じ込めアクションの成功時刻",
        source_en="Detection times and successful containment actions recorded on incident timelines",
        unit="時間",
        direction=Direction.AT_MOST,
        threshold_setting="policy.containment_target_hours",
        period=Period.FISCAL_YEAR,
        domain="csirt",
        compute=None,
        evidence_path="/incidents",
    )
)

register(
    Target(
        id="m1.kpi.security_cost_per_resident",
        measure=1,
        kind=Kind.KPI,
        name_ja="住民一人当たりセキュリティコストの削減率",
        name_en="Security cost per resident below going alone",
        formula_ja="(各区単独運用の見積総額 − 共同運用の総額) ÷ 各区単独運用の見積総額 × 100(人口は住民基本台帳)",
        formula_en="(standalone estimates − joint operation cost) ÷ standalone estimates × 100 (population: resident register)",
        source_ja="各区の単独運用見積額・共同センター運用費とその按分の記録、各区の人口",
        source_en="Recorded standalone estimates, the joint centre's operating cost and its sharing, populations",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.security_cost_reduction_pct",
        period=Period.FISCAL_YEAR,
        domain="csirt",
        compute=None,
        evidence_path=None,
    )
)
