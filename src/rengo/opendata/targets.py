"""The policy targets this domain computes.

Declared now so that the scoreboard shows them; ``compute`` stays ``None`` (shown as
"planned") until this domain records the data they are computed from.
"""

from rengo.targets.registry import Direction, Kind, Period, Target, register

register(
    Target(
        id="m3.kpi.open_datasets",
        measure=3,
        kind=Kind.KPI,
        name_ja="ポータル掲載データセット数",
        name_en="Datasets on the portal",
        formula_ja="ポータルに公開中のデータセット数(3年で目標値)",
        formula_en="Datasets published on the joint portal (target within 3 years)",
        source_ja="オープンデータポータルのカタログ",
        source_en="The open-data portal's catalogue",
        unit="件",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.open_datasets_target",
        period=Period.SNAPSHOT,
        domain="opendata",
        compute=None,
        evidence_path=None,
    )
)

register(
    Target(
        id="m3.kpi.open_data_apps",
        measure=3,
        kind=Kind.KPI,
        name_ja="オープンデータを活用した新規サービス・アプリ数",
        name_en="New services and apps built on open data",
        formula_ja="年度内に登録された活用事例(サービス・アプリ)の数",
        formula_en="Apps and services built on the data registered this fiscal year",
        source_ja="活用事例の登録とコンテスト応募",
        source_en="Showcase registrations and contest entries",
        unit="件",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.open_apps_per_year",
        period=Period.FISCAL_YEAR,
        domain="opendata",
        compute=None,
        evidence_path=None,
    )
)
