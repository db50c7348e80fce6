"""The policy targets of measure 2, computed live from the cost lake and the registers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from rengo.assets.models import Asset
from rengo.core.clock import to_jst
from rengo.core.permissions import SYSTEM
from rengo.core.wards import JOINT
from rengo.finops import plan
from rengo.finops.explorer import CostQuery
from rengo.finops.models import (
    BprCase,
    JointProcurement,
    Recommendation,
    Training,
    TrainingAttendance,
)
from rengo.targets.registry import (
    Direction,
    Kind,
    Measurement,
    Period,
    Target,
    TargetContext,
    register,
)


def _day(ctx: TargetContext) -> date:
    return to_jst(ctx.as_of).date()


def _explorer(ctx: TargetContext):  # type: ignore[no-untyped-def]
    from rengo.finops.service import explorer

    return explorer(ctx.session, ctx.data_dir)


def _pct(numerator: float, denominator: float) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


def operating_cost_growth(ctx: TargetContext) -> dict[str, Measurement]:
    """Per ward: (FY actual + forecast of the systems with a baseline − baseline) ÷ baseline.

    The same rows as the KGI page (``plan.kgi``), as the joint centre sees them.
    """
    ex = _explorer(ctx)
    rows = [
        r
        for r in plan.kgi(ctx.session, SYSTEM, ex, _day(ctx), ctx.settings.finops)
        if not r.business_system
    ]
    out: dict[str, Measurement] = {}
    for r in rows:
        p = r.projection
        out[r.ward] = Measurement(
            r.growth_pct,
            {
                "baseline": round(r.baseline),
                "actual": round(p.actual),
                "forecast": round(p.forecast),
                "low": round(p.low),
                "high": round(p.high),
            },
        )
    base_all = sum(r.baseline for r in rows)
    if base_all:
        post_all = sum(r.projection.forecast for r in rows)
        out[JOINT] = Measurement(
            _pct(post_all - base_all, base_all),
            {"baseline": round(base_all), "forecast": round(post_all)},
        )
    return out


def bpr_renewal_share(ctx: TargetContext) -> dict[str, Measurement]:
    as_of = _day(ctx)
    renewed = ctx.session.execute(
        select(Asset.tenant, Asset.business_system, Asset.introduced_on)
        .where(Asset.business_system.is_not(None), Asset.kind == "system")
        .where(Asset.location.in_(("gov_cloud", "saas")), Asset.introduced_on.is_not(None))
        .where(Asset.introduced_on <= as_of)
    ).all()
    if not renewed:
        return {}
    first_bpr: dict[tuple[str, str], date] = {}
    for ward, system, implemented in ctx.session.execute(
        select(BprCase.ward, BprCase.business_system, BprCase.implemented_on)
    ):
        if (
            system
            and (pair := (ward, system))
            and (pair not in first_bpr or implemented < first_bpr[pair])
        ):
            first_bpr[pair] = implemented
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ward, renewed_system, introduced in renewed:
        bpr = first_bpr.get((ward, renewed_system or ""))
        for key in (ward, JOINT):
            counts[key][1] += 1
            counts[key][0] += int(bpr is not None and introduced is not None and bpr <= introduced)
    return {
        k: Measurement(_pct(a, b), {"renewed_after_bpr": a, "renewed": b})
        for k, (a, b) in counts.items()
    }


def cloud_savings(ctx: TargetContext) -> dict[str, Measurement]:
    as_of = _day(ctx)
    start = as_of - timedelta(days=365)
    done = [
        r
        for r in ctx.session.scalars(select(Recommendation).where(Recommendation.status == "done"))
        if r.done_on and start < r.done_on <= as_of and r.realised_monthly_saving is not None
    ]
    ex = _explorer(ctx)
    if ex.lake.is_empty():
        return {}
    bills = {
        r.groups[0]: r.cost
        for r in ex.costs(CostQuery(start + timedelta(days=1), as_of, ["ward"], "total"))
    }
    saved: dict[str, float] = defaultdict(float)
    for r in done:
        saved[r.ward] += 12 * (r.realised_monthly_saving or 0.0)
    out = {}
    for ward, bill in bills.items():
        if ward == "unallocated":
            continue
        out[ward] = Measurement(
            _pct(saved.get(ward, 0.0), bill),
            {"annual_saving": round(saved.get(ward, 0.0)), "annual_bill": round(bill)},
        )
    total_bill = sum(bills.values())
    if total_bill:
        out[JOINT] = Measurement(
            _pct(sum(saved.values()), total_bill),
            {
                "annual_saving": round(sum(saved.values())),
                "annual_bill": round(total_bill),
                "done": len(done),
            },
        )
    return out


def training_participants(ctx: TargetContext) -> dict[str, Measurement]:
    start, as_of = to_jst(ctx.start).date(), _day(ctx)
    rows = ctx.session.execute(
        select(TrainingAttendance.ward, TrainingAttendance.participants)
        .join(Training, Training.id == TrainingAttendance.training_id)
        .where(Training.held_on >= start, Training.held_on <= as_of)
    ).all()
    if not rows:
        return {}
    totals: dict[str, float] = defaultdict(float)
    for ward, n in rows:
        totals[ward] += n
        totals[JOINT] += n
    return {k: Measurement(v, {"participants": int(v)}) for k, v in totals.items()}


def joint_procurements(ctx: TargetContext) -> dict[str, Measurement]:
    start, as_of = to_jst(ctx.start).date(), _day(ctx)
    rows = list(
        ctx.session.scalars(
            select(JointProcurement).where(
                JointProcurement.procured_on >= start, JointProcurement.procured_on <= as_of
            )
        )
    )
    if not rows:
        return {JOINT: Measurement(0.0, {"records": 0})}
    out: dict[str, float] = defaultdict(float)
    for row in rows:
        out[JOINT] += 1
        for ward in row.wards or []:
            out[ward] += 1
    return {k: Measurement(v, {"records": int(v)}) for k, v in out.items()}


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
        compute=operating_cost_growth,
        evidence_path="/finops/kgi",
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
        compute=bpr_renewal_share,
        evidence_path="/finops/bpr",
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
        compute=cloud_savings,
        evidence_path="/finops/recommendations?status=done",
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
        compute=training_participants,
        evidence_path="/finops/trainings",
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
        compute=joint_procurements,
        evidence_path="/finops/saas",
    )
)
