"""The policy targets of measure 2, computed live from the cost lake and the registers."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

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
    Measurement,
    Record,
    TargetContext,
    declare,
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


declare(
    Path(__file__).with_name("targets.toml"),
    {
        "operating_cost_growth": operating_cost_growth,
        "security_cost_per_resident": security_cost_per_resident,
        "bpr_renewal_share": bpr_renewal_share,
        "cloud_savings": cloud_savings,
        "trainings_held": trainings_held,
        "training_participants": training_participants,
        "joint_procurements": joint_procurements,
    },
)
