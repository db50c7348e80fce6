"""``rengo demo``: 24 months of FOCUS costs for the 23 wards, baselines, budgets, savings,
alerts, BPR cases, public SaaS, joint procurement and trainings."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.clock import to_jst
from rengo.core.demo import DemoContext, step
from rengo.core.permissions import SYSTEM
from rengo.core.tenancy import populations
from rengo.core.wards import wards
from rengo.finops import bpr, budget_import, recommend, saas, scan, service
from rengo.finops import plan as plan_module
from rengo.finops.allocation import Rule
from rengo.finops.currency import Rate
from rengo.finops.explorer import CostQuery
from rengo.finops.forecast import fiscal_year_of
from rengo.finops.models import AllocationRule, BprCase, BudgetLine, Recommendation
from rengo.finops.settings import FinopsSettings
from rengo.finops.synthetic import Plan, demo_rates, generate

SAAS = [
    ("電子申請・届出サービス(デモ)", "デモ事業者A", "電子申請", "DEMO-ISMAP-001", True, 99.9, True),
    ("グループウェア(デモ)", "デモ事業者B", "グループウェア", "DEMO-ISMAP-002", True, 99.9, True),
    ("ノーコード業務アプリ(デモ)", "デモ事業者C", "業務アプリ", "DEMO-ISMAP-003", True, 99.5, True),
    ("AI-OCR(デモ)", "デモ事業者D", "AI-OCR", "", True, 99.0, True),
    ("海外ファイル共有(デモ)", "デモ事業者E", "ファイル共有", "DEMO-ISMAP-004", False, 99.9, False),
]


POOLS = (
    ("gc-network", "population", "ガバメントクラウド接続回線(人口比)"),
    ("common-platform", "even", "共通基盤・運用監視(均等割)"),
    ("joint-soc", "population", "共同SOC/CSIRTのクラウド(人口比)"),
)


def _rules(session: Session) -> None:
    """The demo's pools and rules, each created once (a second demo run finds them)."""
    existing = {p.name for p in service.load_pools(session)}
    for name, method, description in POOLS:
        if name not in existing:
            service.add_pool(session, SYSTEM, name, method, [], description)
    described = set(session.scalars(select(AllocationRule.description)))
    wanted = [
        *(
            (Rule(0, 5, "tag", name, tag_key="shared", shared_pool=name), f"shared tag {name}")
            for name, _m, _d in POOLS
        ),
        (Rule(0, 10, "tag", "*", tag_key="ward", ward_from_value=True), "ward tag (code or name)"),
        (
            Rule(0, 10, "tag", "*", tag_key="system", system_from_value=True),
            "business system tag",
        ),
    ]
    for rule, description in wanted:
        if description not in described:
            service.add_rule(session, SYSTEM, rule, description)


def _exports(ctx: DemoContext, end: date, pops: dict[str, int]) -> tuple[list[Path], Plan]:
    """One FOCUS Parquet file per billing month (every provider's rows), as exports arrive."""
    s = ctx.settings.section(FinopsSettings)
    codes = [w.code for w in wards()][: s.demo_wards]
    tables, plan = generate(
        end=end, months=s.demo_months, ward_codes=codes, seed=ctx.seed, pops=pops, joint_soc=True
    )
    folder = ctx.data_dir.files("finops") / "demo-exports"
    folder.mkdir(parents=True, exist_ok=True)
    by_month: dict[str, list[pa.Table]] = {}
    for _provider, month, table in tables:
        by_month.setdefault(month, []).append(table)
    files = []
    for month, parts in sorted(by_month.items()):
        path = folder / f"focus-{month}.parquet"
        pq.write_table(pa.concat_tables(parts), path)
        files.append(path)
    return files, plan


@step(
    "finops", 40, "24 months of FOCUS cloud costs per ward and business system, savings, BPR, SaaS"
)
def demo(ctx: DemoContext) -> None:
    rng = ctx.rng("finops")
    end = to_jst(ctx.now).date() - timedelta(days=1)
    with ctx.db.session() as session:
        _rules(session)
        first = end.replace(day=1) - timedelta(days=800)
        service.store_rates(
            session, [Rate(d, "USD", "JPY", r, "demo rates") for d, r in demo_rates(first, end)]
        )
        pops = populations(session)
        loaded = service.explorer(session, ctx.data_dir).last_day()
    # The lake is replaced per billing month and account: loading again changes nothing,
    # so a second run on the same day skips the work.
    fixed: dict[str, date] = {}
    if loaded is None or loaded < end:
        files, plan = _exports(ctx, end, pops)
        with ctx.db.session() as session:
            report = service.ingest(session, SYSTEM, ctx.data_dir, ctx.settings, files, fmt="focus")
        ctx.report(f"finops: {report.rows:,} FOCUS rows in {len(report.partitions)} partitions")
        first_day = date.fromisoformat(files[0].stem.removeprefix("focus-") + "-01")
        fixed = {rid: first_day + timedelta(days=i) for rid, i in plan.fixed.items()}
    with ctx.db.session() as session:
        ex = service.explorer(session, ctx.data_dir)
        year = ex.costs(
            CostQuery(end - timedelta(days=364), end, ["ward", "business_system"], "total")
        )
        fy = fiscal_year_of(end, ctx.settings.section(FinopsSettings).fiscal_year_start_month)
        spent: dict[str, float] = {}
        for row in year:
            ward, system = row.groups
            if ward == "unallocated":
                continue
            spent[ward] = spent.get(ward, 0.0) + row.cost  # shared-pool shares included
            if system == "unallocated":
                continue
            # Post-migration costs are about 1.6 times the old ones (Tokyo, 2025).
            plan_module.set_baseline(
                session,
                SYSTEM,
                ward=ward,
                business_system=system,
                fiscal_year=2024,
                annual_cost=round(row.cost / rng.uniform(1.35, 1.8), -3),
                source="移行前の運用経費(デモ)",
            )
        for ward, cost in spent.items():
            # Budgets around last year's spending: some wards' forecasts exceed theirs.
            plan_module.set_budget(
                session,
                SYSTEM,
                ward=ward,
                business_system="",
                fiscal_year=fy,
                amount=round(cost * rng.uniform(0.97, 1.12), -3),
            )
        # Recommendations seen before the fixes, acted upon, then the current scan.
        for fixed_on in sorted(set(fixed.values())):
            recommend.store(
                session,
                recommend.find(
                    ex, fixed_on - timedelta(days=1), ctx.settings.section(FinopsSettings)
                ),
            )
        for rid, fixed_on in fixed.items():
            rec = session.scalar(select(Recommendation).where(Recommendation.resource_id == rid))
            if rec is not None and rec.status == "open":
                recommend.change_status(session, SYSTEM, rec.id, "accepted", note="demo")
                recommend.change_status(
                    session, SYSTEM, rec.id, "done", done_on=fixed_on, note="volume deleted"
                )
        result = scan.run(session, ex, end, ctx.settings.section(FinopsSettings))
        ctx.report(
            f"finops: {result.series} series scanned, {result.new_alerts} alerts, "
            f"{result.recommendations_created} recommendations, {result.realised_measured} "
            "savings measured"
        )
        if session.scalar(select(BprCase.id).where(BprCase.origin == "demo").limit(1)) is None:
            _registers(ctx, session, rng, end)
        if session.scalar(select(BudgetLine.id).limit(1)) is None:
            _budget_files(ctx, session, rng, fy, spent)


CATEGORY_JA = {
    "licence": "ライセンス",
    "maintenance": "保守",
    "operation": "運用委託",
    "network": "回線",
    "vendor": "アプリケーション利用料",
}
BEFORE_SPLIT = {"licence": 0.2, "maintenance": 0.35, "operation": 0.3, "network": 0.15}
AFTER_SPLIT = {"vendor": 0.45, "operation": 0.3, "licence": 0.1}


def _row(ward: str, fy: int, stage: str, scope: str, system: str, cat: str, yen: float) -> str:
    return f"{ward},{fy},{stage},{scope},{system},{cat},{round(yen, -3):.0f}"


def _budget_files(
    ctx: DemoContext,
    session: Session,
    rng: random.Random,
    fy: int,
    cloud: dict[str, float],
) -> None:
    """What the wards' finance systems export (cp932 CSV), imported as they would be: last
    year's settlement of the current systems, this year's budget of the standard systems,
    each ward's own security budget and the joint centre's. The targets are computed from
    these and the cloud bill; nothing here sets a result."""
    folder = ctx.data_dir.files("finops") / "demo-budgets"
    folder.mkdir(parents=True, exist_ok=True)
    header = "団体コード,年度,予算決算区分,対象,業務,経費区分,金額\n"
    systems = [t.ja for t in BUSINESS_SYSTEMS.values()]

    def load(name: str, lines: list[str]) -> None:
        path = folder / name
        path.write_bytes((header + "\n".join(lines) + "\n").encode("cp932"))
        budget_import.import_budget(session, SYSTEM, path.read_bytes(), filename=path.name)

    s = ctx.settings.section(FinopsSettings)
    codes = [w.code for w in wards()][: s.demo_wards]
    pops = {w.code: w.population for w in wards()}
    for ward in codes:
        pop = pops[ward]
        lines = []
        weights = [rng.uniform(0.5, 1.5) for _ in systems]
        share = [w / sum(weights) for w in weights]
        # Scaled to the demo's cloud bill of the last year: the current systems cost about
        # as much; the standard systems' fees, operation, licences and network come on top
        # of the cloud. Each ward's factors are drawn independently.
        year = cloud.get(ward, 0.0)
        before = year * rng.uniform(1.0, 1.5)
        after = year * rng.uniform(0.3, 0.8)
        old, new = "現行システム", "標準準拠システム"
        for system, part in zip(systems, share, strict=True):
            for cat, cut in BEFORE_SPLIT.items():
                yen = before * cut * part
                lines.append(_row(ward, fy - 1, "決算", old, system, CATEGORY_JA[cat], yen))
            for cat, cut in AFTER_SPLIT.items():
                yen = after * cut * part
                lines.append(_row(ward, fy, "予算", new, system, CATEGORY_JA[cat], yen))
        lines.append(_row(ward, fy, "予算", new, "共通", "回線", after * 0.15))
        # A ward alone: a small SOC/CSIRT contract, tools and staff (about ¥90M) + ¥350/resident.
        alone = (90_000_000 + 350 * pop) * rng.uniform(0.9, 1.1)
        lines.append(_row(ward, fy, "予算", "セキュリティ対策", "", "運用委託", alone * 0.7))
        lines.append(_row(ward, fy, "予算", "セキュリティ対策", "", "ライセンス", alone * 0.3))
        load(f"budget-{ward}-{fy}.csv", lines)
    # The joint centre: its 24/365 staff contract and shared tools (its cloud is in the bill).
    staff = 900_000_000 * rng.uniform(0.95, 1.05)
    tools = 150_000_000 * rng.uniform(0.95, 1.05)
    load(
        f"budget-joint-{fy}.csv",
        [
            _row("joint", fy, "予算", "セキュリティ対策", "", "運用委託", staff),
            _row("joint", fy, "予算", "セキュリティ対策", "", "ライセンス", tools),
        ],
    )
    ctx.report(f"finops: budget and settlement files of {len(codes)} wards and the joint centre")


def _registers(ctx: DemoContext, session: Session, rng: random.Random, end: date) -> None:
    methods = list(bpr.METHODS)
    for asset in session.scalars(
        select(Asset).where(Asset.business_system.is_not(None), Asset.introduced_on.is_not(None))
    ):
        if rng.random() > 0.8:
            continue
        before = rng.choice([144.0, 480.0, 960.0, 2400.0, 3600.0])
        bpr.create(
            session,
            SYSTEM,
            bpr.BprIn(
                ward=asset.tenant,
                business_system=asset.business_system or "",
                process_name=f"{asset.name}の窓口・審査業務",
                method=rng.choice(methods),
                hours_before=before,
                hours_after=round(before * rng.uniform(0.05, 0.6), 1),
                implemented_on=(asset.introduced_on or end) - timedelta(days=rng.randint(30, 200)),
                description="標準化移行前の業務見直し(デモ)",
                shared=rng.random() < 0.3,
            ),
            origin="demo",
        )
    ward_codes = [w.code for w in wards()]
    bpr.create(
        session,
        SYSTEM,
        bpr.BprIn(
            ward=ward_codes[0],
            business_system="kojin_juminzei",
            process_name="給与支払報告書の入力(RPA)",
            method="rpa",
            hours_before=144,
            hours_after=7.8,
            implemented_on=date(2024, 1, 15),
            description="RPAで144時間を7.8時間に",
            shared=True,
        ),
        origin="demo",
    )
    bpr.create(
        session,
        SYSTEM,
        bpr.BprIn(
            ward=ward_codes[5],
            business_system="kodomo_kosodate",
            process_name="保育所入所選考",
            method="process_redesign",
            hours_before=2500,
            hours_after=410,
            implemented_on=date(2024, 2, 1),
            description="年間2,090時間の削減",
            shared=True,
        ),
        origin="demo",
    )
    products = []
    for name, vendor, category, ismap, japan, availability, lgwan in SAAS:
        products.append(
            saas.add_product(
                session,
                SYSTEM,
                name=name,
                vendor=vendor,
                category=category,
                ismap_id=ismap,
                data_in_japan=japan,
                availability_pct=availability,
                lgwan=lgwan,
                origin="demo",
            )
        )
    for product in products:
        for ward in rng.sample(ward_codes, rng.randint(3, 15)):
            saas.mark_used(session, SYSTEM, product.id, ward, date(2024, rng.randint(1, 12), 1))
    for i, product in enumerate(products[:3]):
        saas.add_procurement(
            session,
            SYSTEM,
            title=f"{product.name} 共同調達",
            wards=rng.sample(ward_codes, 6 + 3 * i),
            procured_on=end - timedelta(days=60 * (i + 1)),
            product_id=product.id,
            amount=float(rng.randint(20, 90)) * 1_000_000,
        )
    for i, (title, topic) in enumerate(
        [
            ("FinOps入門(財政・情報担当)", "finops"),
            ("クラウド費用の見える化演習", "finops"),
            ("BPR手法研修", "bpr"),
            ("書かない窓口 事例共有会", "bpr"),
        ]
    ):
        saas.add_training(
            session,
            SYSTEM,
            title=title,
            topic=topic,
            held_on=end - timedelta(days=30 * i + 10),
            participants={w: rng.randint(1, 8) for w in rng.sample(ward_codes, 12)},
        )
