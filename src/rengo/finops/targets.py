"""The policy targets of measure 2, computed live from the cost lake and the registers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from rengo.assets.models import Asset
from rengo.core.clock import to_jst
from rengo.core.wards import JOINT, ward_codes
from rengo.finops import operating_cost, optimisation
from rengo.finops.forecast import fiscal_year_of
from rengo.finops.models import (
    BprCase,
    BudgetLine,
    JointProcurement,
    Training,
    TrainingAttendance,
)
from rengo.finops.settings import FinopsSettings
from rengo.targets.registry import (
    Direction,
    Kind,
    Measurement,
    Period,
    Record,
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
    """Per ward: (after − before) ÷ before × 100 (``rengo.finops.operating_cost``); for all
    wards: the average of the wards' rates (the seed's 「平均」), the pooled ratio beside it."""
    s = ctx.settings.section(FinopsSettings)
    costs = operating_cost.operating_costs(ctx.session, _explorer(ctx), _day(ctx), s)
    out: dict[str, Measurement] = {}
    records: list[Record] = []
    fy = str(fiscal_year_of(_day(ctx), s.fiscal_year_start_month))
    for ward, c in costs.items():
        growth = c.growth_pct
        out[ward] = Measurement(
            round(growth, 1) if growth is not None else None,
            {
                "before": round(c.before),
                "before_from": c.before_year if c.before_year is not None else "baseline",
                "after": round(c.after),
                "after_lines": round(c.after_lines),
                "after_cloud": round(c.after_cloud),
            },
        )
        records += [_line(x, "before") for x in c.before_lines]
        if c.before_year is None:
            records.append(Record("Typed-in baseline", ward, ward, "", c.before, "before"))
        records += [_line(x, "after") for x in c.after_line_items]
        records.append(
            Record("Cloud bill", ward, ward, fy, round(c.after_cloud), "after (actual + forecast)")
        )
    rates = [c.growth_pct for c in costs.values() if c.growth_pct is not None]
    if rates:
        before = sum(c.before for c in costs.values() if c.growth_pct is not None)
        after = sum(c.after for c in costs.values() if c.growth_pct is not None)
        out[JOINT] = Measurement(
            round(sum(rates) / len(rates), 1),
            {
                "wards": len(rates),
                "pooled_pct": _pct(after - before, before),
                "before": round(before),
                "after": round(after),
            },
            tuple(records),
        )
    return out


def _line(x: BudgetLine, role: str) -> Record:
    return Record(
        "Budget or settlement line", str(x.id), x.ward, str(x.fiscal_year), x.amount, role
    )


def security_cost_per_resident(ctx: TargetContext) -> dict[str, Measurement]:
    """(standalone − joint share) ÷ standalone × 100 per ward; the joint value pools them."""
    s = ctx.settings.section(FinopsSettings)
    sec = operating_cost.security_costs(ctx.session, _explorer(ctx), _day(ctx), s)
    out: dict[str, Measurement] = {}
    records: list[Record] = []
    for ward, c in sec.wards.items():
        out[ward] = Measurement(
            round(c.reduction_pct, 1),
            {
                "standalone_per_resident_yen": round(c.standalone / c.population, 1),
                "joint_per_resident_yen": round(c.joint_share / c.population, 1),
                "population": c.population,
            },
        )
        records += [_line(x, "standalone") for x in c.lines]
    if not sec.wards:
        return out
    records += [_line(x, "joint centre") for x in sec.joint_lines]
    records.append(
        Record(
            "Cloud bill",
            s.joint_security_pool,
            JOINT,
            str(sec.fiscal_year),
            round(sec.joint_cloud),
            "joint centre (cloud, actual + forecast)",
        )
    )
    standalone = sum(c.standalone for c in sec.wards.values())
    joint = sum(c.joint_share for c in sec.wards.values())
    out[JOINT] = Measurement(
        round(100.0 * (standalone - joint) / standalone, 1),
        {
            "fiscal_year": sec.fiscal_year,
            "wards_with_budgets": len(sec.wards),
            "standalone_yen": round(standalone),
            "joint_yen": round(joint),
            "joint_cloud_yen": round(sec.joint_cloud),
            "joint_pool": s.joint_security_pool,
        },
        tuple(records),
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
    """See ``rengo.finops.optimisation``: A + B + C over the bill they would have made."""
    result = optimisation.optimisation(ctx.session, _explorer(ctx), _day(ctx))
    out: dict[str, Measurement] = {}
    records: list[Record] = []
    for ward, o in sorted(result.items()):
        rate = o.rate_pct
        out[ward] = Measurement(
            round(rate, 1) if rate is not None else None,
            {
                "unit_cost_saving": round(o.unit_cost_saving),
                "recommendations": round(o.recommendations),
                "external": round(o.external),
                "annual_bill": round(o.bill),
                "like_for_like_items": o.like_for_like_items,
            },
        )
        records.append(Record("Cloud bill", ward, ward, "", round(o.bill), "this year's bill"))
        records.append(
            Record("Unit-cost saving", ward, ward, "", round(o.unit_cost_saving), "like-for-like")
        )
        records += [
            Record("Completed recommendation", str(i), ward, href=f"/finops/recommendations/{i}")
            for i in o.recommendation_ids
        ]
        records += [Record("External saving", str(i), ward) for i in o.external_ids]
    totals = [o for o in result.values() if o.bill]
    if totals:
        saved = sum(o.saved for o in totals)
        bill = sum(o.bill for o in totals)
        out[JOINT] = Measurement(
            _pct(saved, bill + saved),
            {
                "unit_cost_saving": round(sum(o.unit_cost_saving for o in totals)),
                "recommendations": round(sum(o.recommendations for o in totals)),
                "external": round(sum(o.external for o in totals)),
                "annual_bill": round(bill),
            },
            tuple(records),
        )
    return out


def _attendance(ctx: TargetContext) -> list[tuple[int, str, int, date, int]]:
    start, as_of = to_jst(ctx.start).date(), _day(ctx)
    return [
        (t, w, n, d, c or 0)
        for t, w, n, d, c in ctx.session.execute(
            select(
                Training.id,
                TrainingAttendance.ward,
                TrainingAttendance.participants,
                Training.held_on,
                TrainingAttendance.completed,
            )
            .join(TrainingAttendance, Training.id == TrainingAttendance.training_id, isouter=True)
            .where(Training.held_on >= start, Training.held_on <= as_of)
        ).all()
    ]


def trainings_held(ctx: TargetContext) -> dict[str, Measurement]:
    """Trainings held in the fiscal year (all wards); per ward, those its staff attended.
    A ward with no records shows 0."""
    rows = _attendance(ctx)
    held = {t: d for t, _w, _n, d, _c in rows}
    attended: dict[str, set[int]] = defaultdict(set)
    for t, w, n, _d, _c in rows:
        if w and n:
            attended[w].add(t)
    out = {
        w: Measurement(float(len(attended.get(w, ()))), {"trainings": len(attended.get(w, ()))})
        for w in ward_codes()
    }
    out[JOINT] = Measurement(
        float(len(held)),
        {"trainings": len(held)},
        tuple(
            Record("Training", str(t), on=d.isoformat(), href="/finops/trainings")
            for t, d in sorted(held.items())
        ),
    )
    return out


def training_participants(ctx: TargetContext) -> dict[str, Measurement]:
    """Participants (延べ参加者数) of the fiscal year's trainings; a ward with none shows 0."""
    rows = _attendance(ctx)
    totals: dict[str, float] = {w: 0.0 for w in ward_codes()}
    completed: dict[str, int] = {w: 0 for w in ward_codes()}
    records = []
    for t, w, n, d, c in rows:
        if w and n:
            totals[w] = totals.get(w, 0.0) + n
            completed[w] = completed.get(w, 0) + c
            records.append(Record("Training", str(t), w, d.isoformat(), float(n), "participants"))
    out = {
        k: Measurement(v, {"participants": int(v), "completed": completed.get(k, 0)})
        for k, v in totals.items()
    }
    out[JOINT] = Measurement(
        sum(totals.values()),
        {"participants": int(sum(totals.values())), "completed": sum(completed.values())},
        tuple(records),
    )
    return out


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
        name_ja="標準準拠システム移行後の年間運用経費の増加率(各区の平均)",
        name_en="Annual operating cost growth after standardisation (average of the wards)",
        formula_ja=(
            "各区の(移行後の年間運用経費 − 移行前の年間運用経費) ÷ 移行前 × 100 の平均。"
            "移行後 = 今年度の標準準拠システムの予算・決算(クラウド利用料を除く)+ "
            "ガバメントクラウド利用料(実績+年度末までの予測)。全区合算の比率も併記"
        ),
        formula_en=(
            "Average over the wards of (post-migration annual operating cost − pre-migration) "
            "÷ pre-migration × 100; post = this year's budget/settlement lines of the standard "
            "systems (cloud excluded) + the cloud bill (actual + forecast); pooled ratio beside"
        ),
        source_ja="各区の予算・決算データ(取込)とFOCUS形式のガバメントクラウド請求データ",
        source_en="Each ward's imported budget/settlement lines and the FOCUS cloud bill",
        unit="%",
        direction=Direction.AT_MOST,
        threshold_setting="policy.operating_cost_growth_cap_pct",
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=operating_cost_growth,
        evidence_path="/finops/budget",
    )
)

register(
    Target(
        id="m1.kpi.security_cost_per_resident",
        measure=1,
        kind=Kind.KPI,
        name_ja="住民一人当たりセキュリティコストの削減率",
        name_en="Security cost per resident below going alone",
        formula_ja=(
            "(各区単独のセキュリティ対策経費 − 共同SOC/CSIRT運用経費の各区按分額) ÷ "
            "各区単独の経費 × 100(人口は住民基本台帳、按分は共有プールの方式と人口比)"
        ),
        formula_en=(
            "(each ward's own security cost − its share of the joint SOC/CSIRT's cost) ÷ its own "
            "cost × 100 (population: resident register; shares: the pool's method, population)"
        ),
        source_ja=(
            "各区の予算・決算データのセキュリティ対策経費(取込)、共同SOC/CSIRTのクラウド費用"
            "(FOCUS・共有プール)と共同センターの予算・決算"
        ),
        source_en=(
            "Each ward's imported security budget lines; the joint SOC/CSIRT's cloud costs "
            "(FOCUS, shared pool) and the joint centre's own budget lines"
        ),
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.security_cost_reduction_pct",
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=security_cost_per_resident,
        evidence_path="/finops/budget",
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
        formula_en=(
            "Core business systems renewed after a BPR ÷ core business systems renewed × 100"
        ),
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
        formula_ja=(
            "(同一利用量での単価低下による削減額 + rengoの推奨で利用量を減らした削減額 + "
            "請求に現れない証跡付きの削減額) ÷ (年間利用料 + それらの削減額) × 100(前年比)"
        ),
        formula_en=(
            "(unit-cost saving at like-for-like usage + usage cut by rengo's recommendations + "
            "savings recorded outside rengo with evidence) ÷ (annual bill + those savings) × 100, "
            "year on year"
        ),
        source_ja="FOCUS請求データ(前年同期との単価比較)、推奨の実績、証跡付きの削減記録",
        source_en="FOCUS billing data (unit costs year on year), recommendations, recorded savings",
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
        name_ja="FinOps・BPR研修の実施回数",
        name_en="FinOps and BPR trainings held",
        formula_ja="年度内に実施した研修の回数(区別は各区の職員が参加した回数、記録がなければ0)",
        formula_en="Trainings held this fiscal year (per ward: those its staff attended, or 0)",
        source_ja="研修実施記録",
        source_en="Training records",
        unit="回",
        direction=Direction.TRACK,
        threshold_setting=None,
        period=Period.FISCAL_YEAR,
        domain="finops",
        compute=trainings_held,
        evidence_path="/finops/trainings",
    )
)

register(
    Target(
        id="m2.kpi.finops_training_participants",
        measure=2,
        kind=Kind.KPI,
        name_ja="FinOps・BPR研修の延べ参加者数",
        name_en="FinOps and BPR training participants",
        formula_ja="年度内の研修の延べ参加者数(記録のない区は0)",
        formula_en="Participants of FinOps/BPR trainings this fiscal year (0 for a ward with none)",
        source_ja="研修実施記録(各区の参加者数)",
        source_en="Training records (participants per ward)",
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
