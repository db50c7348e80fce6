"""Architecture review of a system before migration (主な取組③, cloud-native advice against
lift-and-shift).

Five checks, scored from the system's FOCUS rows in the cost lake (the rows allocated to
the asset's ward and business system over the last ``WINDOW_DAYS`` days of data) and from
its asset record:

- ``managed``: the share of the cost on virtual machines (ServiceCategory Compute /
  ServiceSubcategory Virtual Machines) against managed services (databases, serverless,
  containers, object storage, …); passes at most ``VM_SHARE_MAX``;
- ``autoscaling``: hourly rows only: the virtual machines' consumed quantity per hour
  varies (95th over 5th percentile ≥ ``SCALING_RATIO``);
- ``right_sized``: the average ``x_CpuUtilization`` of the virtual machines is at least
  ``CPU_MIN`` percent;
- ``off_hours``: hourly rows only: the quantity at night (00–06 JST) is at most
  ``NIGHT_RATIO`` of the office hours' (09–18 JST);
- ``storage_tiering``: storage rows include a cold tier (archive, Glacier, infrequent
  access, cool/cold, nearline/coldline, deep archive).

A check without the data it needs is ``unknown`` (never a pass); the score is the share of
passes among the checks that could be assessed. Each finding names the evidence it used as a
message id and its values, which the page translates. A reviewer records the review
(``accepted`` or ``action_required``, action items) with a snapshot of the findings.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, require
from rengo.core.sql import literal
from rengo.core.vocabulary import Term, vocabulary
from rengo.finops.lake import Lake, connection
from rengo.finops.models import ArchitectureReview

WINDOW_DAYS = 90
VM_SHARE_MAX = 0.5
SCALING_RATIO = 1.3
CPU_MIN = 20.0
NIGHT_RATIO = 0.5
COLD_TIERS = r"(?i)(glacier|archive|infrequent|\bcool\b|\bcold\b|nearline|coldline|deep)"
Status = Literal["pass", "fail", "unknown"]
ON_PREMISES = frozenset({"on_premises", "data_centre"})
"""Asset locations that are not a cloud: a move from there is where lift-and-shift happens."""
CHECKS = vocabulary(
    Term("managed", "マネージドサービスの活用", "Managed services used"),
    Term("autoscaling", "負荷に応じた自動スケーリング", "Scales with the load"),
    Term("right_sized", "適切なサイズ", "Right-sized"),
    Term("off_hours", "夜間・休日の停止", "Stopped off hours"),
    Term("storage_tiering", "ストレージの階層化", "Storage tiered"),
)
STATUSES = vocabulary(
    Term("pass", "適合", "Passed"),
    Term("fail", "要改善", "Needs work"),
    Term("unknown", "評価不能(データなし)", "Not assessed (no data)"),
)
DECISIONS = vocabulary(
    Term("accepted", "承認", "Accepted"),
    Term("action_required", "対応事項あり", "Action required"),
)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    evidence: str
    """A message id (English; translated on the page) saying what was looked at."""
    values: dict[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Review:
    asset_id: int
    ward: str
    business_system: str
    rows: int
    findings: list[Finding]
    score: float | None
    """Percent of passes among the assessed checks; None when none could be assessed."""


class ReviewIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    decision: Literal["accepted", "action_required"]
    action_items: list[str] = Field(default_factory=list, max_length=20)


def _where(lake: Lake, ward: str, system: str) -> tuple[str, str]:
    rel = lake.relation_sql()
    cond = f"x_Ward = {literal(ward)} AND x_BusinessSystem = {literal(system)}"
    recent = (
        f"{cond} AND ChargePeriodStart >= (SELECT max(ChargePeriodStart) FROM {rel} "  # noqa: S608 - relation named by code, values quoted by core.sql
        f"WHERE {cond}) - INTERVAL {WINDOW_DAYS} DAY"
    )
    return rel, recent


TOTALS_SQL = """
SELECT count(*), sum(EffectiveCost),
       sum(EffectiveCost) FILTER (WHERE ServiceCategory = 'Compute'
                                  AND ServiceSubcategory = 'Virtual Machines'),
       sum(EffectiveCost) FILTER (WHERE ServiceCategory = 'Storage'),
       sum(EffectiveCost) FILTER (WHERE ServiceCategory = 'Storage' AND regexp_matches(
           concat_ws(' ', ServiceSubcategory, ChargeDescription, SkuPriceDetails, SkuMeter), ?))
FROM r
"""
CPU_SQL = """
SELECT avg(x_CpuUtilization) FROM r
WHERE ServiceCategory = 'Compute' AND ServiceSubcategory = 'Virtual Machines'
"""
HOURLY_SQL = """
SELECT hour(timezone('Asia/Tokyo', ChargePeriodStart)) AS h, sum(ConsumedQuantity) AS q FROM r
WHERE ServiceCategory = 'Compute' AND ServiceSubcategory = 'Virtual Machines'
  AND ChargePeriodEnd - ChargePeriodStart <= INTERVAL 1 HOUR
GROUP BY ChargePeriodStart
"""
"""One value per hour of the virtual machines' usage (hourly rows only), by JST hour."""


KEPT_REVIEWS = 512
_kept: dict[tuple[object, ...], Review] = {}
_kept_lock = threading.Lock()


def assess(lake: Lake, asset: Asset) -> Review:
    """The checklist for one system, kept until the lake or the asset's record changes
    (each asset page shows it; reading 90 days of a system's rows took 0.2–1 s)."""
    key = (lake.root, lake.version(), asset.id, asset.tenant, asset.business_system, asset.location)
    with _kept_lock:
        hit = _kept.get(key)
    if hit is not None:
        return hit
    review = _assess(lake, asset)
    with _kept_lock:
        if len(_kept) >= KEPT_REVIEWS:
            _kept.clear()  # a new lake version makes every kept review stale anyway
        _kept[key] = review
    return review


def _assess(lake: Lake, asset: Asset) -> Review:
    system = asset.business_system or ""
    if not system or not lake.files():
        findings = [Finding(c, "unknown", "No cost rows for this system") for c in CHECKS]
        return Review(asset.id, asset.tenant, system, 0, findings, None)
    rel, where = _where(lake, asset.tenant, system)
    with connection() as con:
        base = f"SELECT * FROM {rel} WHERE {where}"  # noqa: S608 - relation named by code, values quoted by core.sql
        con.execute(f"CREATE TEMP TABLE r AS {base}")
        totals = con.execute(TOTALS_SQL, [COLD_TIERS]).fetchone() or (0, 0, 0, 0, 0)
        rows, total, vm_cost, storage, cold = totals
        (cpu,) = con.execute(CPU_SQL).fetchone() or (None,)
        hourly = con.execute(HOURLY_SQL).fetchall()
    if not rows:
        findings = [Finding(c, "unknown", "No cost rows for this system") for c in CHECKS]
        return Review(asset.id, asset.tenant, system, 0, findings, None)
    findings = [
        _managed(float(total or 0), float(vm_cost or 0), asset),
        *_hourly([(int(h), float(q or 0)) for h, q in hourly]),
        _cpu(cpu),
        _storage(float(storage or 0), float(cold or 0)),
    ]
    order = list(CHECKS)
    findings.sort(key=lambda f: order.index(f.check))
    assessed = [f for f in findings if f.status != "unknown"]
    score = (
        round(100 * sum(f.status == "pass" for f in assessed) / len(assessed), 1)
        if assessed
        else None
    )
    return Review(asset.id, asset.tenant, system, int(rows), findings, score)


def _managed(total: float, vm_cost: float, asset: Asset) -> Finding:
    if total <= 0:
        return Finding("managed", "unknown", "No cost in the window")
    share = vm_cost / total
    values: dict[str, str | int | float] = {"share": round(100 * share, 1), "days": WINDOW_DAYS}
    status: Status = "pass" if share <= VM_SHARE_MAX else "fail"
    evidence = (
        "Virtual machines carry %(share)s%% of the cost of the last %(days)s days; "
        "the asset register places the system on premises"
        if asset.location in ON_PREMISES
        else "Virtual machines carry %(share)s%% of the cost of the last %(days)s days; "
        "the asset register places the system in the cloud"
    )
    return Finding("managed", status, evidence, values)


def _hourly(points: list[tuple[int, float]]) -> list[Finding]:
    if not points:
        why = "The bills hold no hourly rows for the virtual machines"
        return [Finding("autoscaling", "unknown", why), Finding("off_hours", "unknown", why)]
    qs = sorted(q for _h, q in points)
    low, high = qs[int(0.05 * (len(qs) - 1))], qs[int(0.95 * (len(qs) - 1))]
    ratio = high / low if low > 0 else float("inf") if high > 0 else 1.0
    night = [q for h, q in points if h < 6]
    office = [q for h, q in points if 9 <= h < 18]
    scaling = Finding(
        "autoscaling",
        "pass" if ratio >= SCALING_RATIO else "fail",
        "Hourly usage of the virtual machines: busiest hours %(ratio)s times the quietest",
        {"ratio": round(min(ratio, 999.0), 2)},
    )
    if not night or not office:
        off = Finding("off_hours", "unknown", "No hourly rows at night and in office hours")
    else:
        share = (sum(night) / len(night)) / max(sum(office) / len(office), 1e-9)
        off = Finding(
            "off_hours",
            "pass" if share <= NIGHT_RATIO else "fail",
            "Usage at night (00–06) is %(share)s%% of office hours (09–18)",
            {"share": round(100 * share, 1)},
        )
    return [scaling, off]


def _cpu(cpu: float | None) -> Finding:
    if cpu is None:
        return Finding("right_sized", "unknown", "No CPU utilisation in the cost rows")
    return Finding(
        "right_sized",
        "pass" if cpu >= CPU_MIN else "fail",
        "Average CPU utilisation of the virtual machines: %(cpu)s%%",
        {"cpu": round(float(cpu), 1)},
    )


def _storage(storage: float, cold: float) -> Finding:
    if storage <= 0:
        return Finding("storage_tiering", "unknown", "No storage cost in the window")
    return Finding(
        "storage_tiering",
        "pass" if cold > 0 else "fail",
        "Cold storage tiers carry %(share)s%% of the storage cost",
        {"share": round(100 * cold / storage, 1)},
    )


def reviews(session: Session, principal: Principal, asset: Asset) -> list[ArchitectureReview]:
    require(principal, "finops.costs.read", asset.tenant, hide=True)
    stmt = select(ArchitectureReview).where(ArchitectureReview.asset_id == asset.id)
    return list(session.scalars(stmt.order_by(ArchitectureReview.reviewed_at.desc())))


def record(
    session: Session,
    principal: Principal,
    lake: Lake,
    asset: Asset,
    data: ReviewIn,
    now: datetime,
) -> ArchitectureReview:
    """Record a review with the findings as they stand now."""
    require(principal, "finops.architecture.review", asset.tenant)
    items = [i for i in data.action_items if i]
    if data.decision == "action_required" and not items:
        raise InvalidInput(
            "a review that asks for action names the actions",
            [Problem("give at least one action item", "field action_items")],
        )
    shown = assess(lake, asset)
    row = ArchitectureReview(
        ward=asset.tenant,
        business_system=shown.business_system,
        asset_id=asset.id,
        decision=data.decision,
        action_items=items,
        findings=[asdict(f) for f in shown.findings],
        score=shown.score,
        reviewer=principal.label,
        reviewed_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "finops.architecture.review",
        object_type="asset",
        object_id=asset.id,
        object_tenant=asset.tenant,
        detail={"review": row.id, "decision": data.decision, "score": shown.score},
    )
    return row
