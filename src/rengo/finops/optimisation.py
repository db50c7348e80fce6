"""The cloud bill optimised in a year (the seed's 「クラウド利用料の最適化率」).

Measured from the FOCUS data, per ward, over the rolling year to ``as_of`` against the
year before it:

- **unit-cost saving at like-for-like usage** (A): for every (provider, service, charge
  description, unit) billed as usage in both years, (last year's unit cost − this year's)
  × this year's quantity — what the same usage costs less now (discounts, commitments,
  cheaper SKUs, renegotiated rates that show in the bill);
- **rengo's completed recommendations that cut usage** (B): the realised monthly saving ×
  12 of recommendations done in the year, of the kinds that reduce usage (idle,
  rightsizing, schedule, storage tiering) — commitments lower unit cost and are in A;
- **savings recorded outside rengo** (C): savings the bill does not show (reserved
  capacity bought directly, contracts renegotiated), each with its evidence, realised in
  the year.

Rate = (A + B + C) ÷ (this year's bill + A + B + C) × 100: the share of what the year's
usage would have cost without the optimisation. The joint value pools all wards.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import ProblemList
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.types import TenantCode
from rengo.core.wards import ward_codes
from rengo.finops.allocation import UNALLOCATED
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.models import ExternalSaving, Recommendation

USAGE_CUTTING = ("idle", "rightsizing", "schedule", "storage_tiering")
Key = tuple[str, str, str, str, str]


@dataclass
class WardOptimisation:
    ward: str
    bill: float = 0.0
    unit_cost_saving: float = 0.0
    recommendations: float = 0.0
    external: float = 0.0
    like_for_like_items: int = 0
    recommendation_ids: list[int] = field(default_factory=list)
    external_ids: list[int] = field(default_factory=list)

    @property
    def saved(self) -> float:
        return self.unit_cost_saving + self.recommendations + self.external

    @property
    def rate_pct(self) -> float | None:
        whole = self.bill + self.saved
        return 100.0 * self.saved / whole if whole > 0 else None


def usage_by_key(explorer: Explorer, start: date, end: date) -> dict[Key, tuple[float, float]]:
    """(cost, quantity) of each ward's usage per (ward, provider, service, description, unit)."""
    q = CostQuery(start, end)
    cols = {
        "ProviderName",
        "ServiceName",
        "ChargeDescription",
        "ChargeCategory",
        "ConsumedQuantity",
        "ConsumedUnit",
        "x_EffectiveCostReporting",
    }
    sql = (
        f"SELECT coalesce(__ward, '{UNALLOCATED}'), ProviderName, ServiceName, "  # noqa: S608 - relations and columns named by code, dates quoted by the explorer
        "coalesce(ChargeDescription, ''), coalesce(ConsumedUnit, ''), "
        "sum(x_EffectiveCostReporting * __w), sum(ConsumedQuantity * __w) "
        f"FROM ({explorer.allocated_sql(q, cols)}) "
        "WHERE ChargeCategory = 'Usage' AND ConsumedQuantity > 0 GROUP BY ALL"
    )
    return {
        (str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])): (float(r[5] or 0), float(r[6]))
        for r in explorer.cursor().execute(sql).fetchall()
    }


def optimisation(session: Session, explorer: Explorer, as_of: date) -> dict[str, WardOptimisation]:
    start = as_of - timedelta(days=364)
    prev_start, prev_end = start - timedelta(days=365), start - timedelta(days=1)
    out: dict[str, WardOptimisation] = defaultdict(lambda: WardOptimisation(""))
    if not explorer.lake.is_empty():
        for row in explorer.costs(CostQuery(start, as_of, ["ward"], "total")):
            out[row.groups[0]].bill += row.cost
        now, before = (
            usage_by_key(explorer, start, as_of),
            usage_by_key(explorer, prev_start, prev_end),
        )
        for key, (cost, qty) in now.items():
            old = before.get(key)
            if old is None or old[1] <= 0:
                continue
            entry = out[key[0]]
            entry.unit_cost_saving += old[0] / old[1] * qty - cost
            entry.like_for_like_items += 1
    for rec in session.scalars(
        select(Recommendation).where(
            Recommendation.status == "done", Recommendation.kind.in_(USAGE_CUTTING)
        )
    ):
        if rec.done_on and start <= rec.done_on <= as_of and rec.realised_monthly_saving:
            out[rec.ward].recommendations += 12 * rec.realised_monthly_saving
            out[rec.ward].recommendation_ids.append(rec.id)
    for saving in session.scalars(
        select(ExternalSaving).where(
            ExternalSaving.realised_on >= start, ExternalSaving.realised_on <= as_of
        )
    ):
        out[saving.ward].external += saving.annual_saving
        out[saving.ward].external_ids.append(saving.id)
    for ward, entry in out.items():
        entry.ward = ward
    return {w: e for w, e in out.items() if w != UNALLOCATED}


SavingKind = Literal["reserved_capacity", "contract", "other"]
SAVING_KINDS: tuple[str, ...] = get_args(SavingKind)


def record_saving(
    session: Session,
    principal: Principal,
    *,
    ward: TenantCode,
    kind: SavingKind,
    realised_on: date,
    annual_saving: float,
    evidence: str,
    description: str = "",
    client: str = "",
) -> ExternalSaving:
    """Record a saving made outside rengo that the bill does not show, with its evidence."""
    require(principal, "finops.plan.write", ward)
    problems = ProblemList()
    if ward not in ward_codes():
        problems.add("{ward!r} is not a ward", "ward", {"ward": ward})
    if kind not in SAVING_KINDS:
        problems.add("one of {kinds}", "kind", {"kinds": ", ".join(SAVING_KINDS)})
    if not 0 < annual_saving <= 10**12:
        problems.add("a positive amount in yen", "annual_saving")
    if not 3 <= len(evidence.strip()) <= 500:
        problems.add("where the proof is (contract or order number, document)", "evidence")
    problems.raise_if_any("invalid saving")
    row = ExternalSaving(
        ward=ward,
        kind=kind,
        realised_on=realised_on,
        annual_saving=float(annual_saving),
        evidence=evidence.strip(),
        description=description,
        recorded_by=principal.label,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "finops.saving.record",
        object_type="finops_external_saving",
        object_id=row.id,
        object_tenant=ward,
        detail={"kind": kind, "annual_saving": annual_saving, "evidence": row.evidence},
        client=client,
    )
    return row


def external_savings(session: Session, principal: Principal) -> list[ExternalSaving]:
    wards = narrow_to_visible(principal, "finops.costs.read", None)
    stmt = select(ExternalSaving).order_by(ExternalSaving.realised_on.desc(), ExternalSaving.id)
    if wards is not None:
        stmt = stmt.where(ExternalSaving.ward.in_(wards))
    return list(session.scalars(stmt))
