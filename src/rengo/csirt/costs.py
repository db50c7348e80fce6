"""Security cost per resident: each ward alone vs the joint operation.

Recorded figures (yen, per Japanese fiscal year), append-only — a correction is a newer
entry and the newest of each (year, tenant, kind) counts:

- ``standalone_estimate``: what a ward would spend on SOC/CSIRT doing it alone;
- ``joint_operating``: what the joint centre costs (recorded by the centre);
- ``joint_share``: a ward's share of the joint cost in % (recorded by the centre); when
  not every ward has one, the joint cost is shared by population.

Populations come from the reference data (住民基本台帳, with their date).
Reduction % = (standalone per resident − joint share per resident) ÷ standalone per resident × 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, require, visible_tenants
from rengo.core.tenancy import populations
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, ward_codes
from rengo.csirt.models import CostEntry

CostKind = Literal["standalone_estimate", "joint_operating", "joint_share"]
COST_KINDS: tuple[str, ...] = get_args(CostKind)
MAX_YEN = 10**15


def record_cost(
    session: Session,
    principal: Principal,
    *,
    fiscal_year: int,
    tenant: TenantCode,
    kind: str,
    amount_yen: int | None = None,
    share_pct: float | None = None,
    note: str = "",
    now: datetime,
) -> CostEntry:
    problems = []
    if kind not in COST_KINDS:
        problems.append(
            Problem(
                "one of {cost_kinds}", "field kind", values={"cost_kinds": ", ".join(COST_KINDS)}
            )
        )
    if not 2000 <= fiscal_year <= 2100:
        problems.append(Problem("a fiscal year like 2026", "field fiscal_year"))
    if kind == "joint_operating" and tenant != JOINT:
        problems.append(Problem("the joint cost belongs to 'joint'", "field tenant"))
    if kind in ("standalone_estimate", "joint_share") and tenant not in ward_codes():
        problems.append(
            Problem("{tenant!r} is not a ward", "field tenant", values={"tenant": tenant})
        )
    if kind in ("standalone_estimate", "joint_operating") and (
        amount_yen is None or not 0 < amount_yen <= MAX_YEN
    ):
        problems.append(Problem("a positive amount in yen", "field amount_yen"))
    if kind == "joint_share" and (share_pct is None or not 0 <= share_pct <= 100):
        problems.append(Problem("a share between 0 and 100 %", "field share_pct"))
    if problems:
        raise InvalidInput("invalid cost entry", problems)
    # The centre records its own cost and how it is shared; a ward records its estimate.
    require(principal, "csirt.costs.write", JOINT if kind != "standalone_estimate" else tenant)
    entry = CostEntry(
        fiscal_year=fiscal_year,
        tenant=tenant,
        kind=kind,
        amount_yen=amount_yen,
        share_pct=share_pct,
        note=note,
        recorded_by=principal.label,
        recorded_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        principal,
        "csirt.cost.record",
        object_type="cost_entry",
        object_id=entry.id,
        object_tenant=tenant,
        detail={"fy": fiscal_year, "kind": kind, "amount_yen": amount_yen, "share_pct": share_pct},
    )
    return entry


def entries(
    session: Session, principal: Principal, fiscal_year: int | None = None
) -> list[CostEntry]:
    visible = visible_tenants(principal, "csirt.costs.read")
    stmt = select(CostEntry).order_by(CostEntry.fiscal_year.desc(), CostEntry.tenant, CostEntry.id)
    if fiscal_year is not None:
        stmt = stmt.where(CostEntry.fiscal_year == fiscal_year)
    if visible is not None:
        stmt = stmt.where(CostEntry.tenant.in_(sorted(visible | {JOINT})))
    return list(session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class WardCost:
    ward: TenantCode
    population: int
    standalone_yen: int
    share_yen: float

    @property
    def reduction_pct(self) -> float:
        # Per resident both sides divide by the same population, so it cancels.
        return (self.standalone_yen - self.share_yen) / self.standalone_yen * 100


@dataclass(frozen=True, slots=True)
class CostComparison:
    fiscal_year: int
    joint_operating_yen: int | None
    shared_by: str
    wards: dict[str, WardCost] = field(default_factory=dict)

    @property
    def reduction_pct(self) -> float | None:
        if not self.wards:
            return None
        standalone = sum(w.standalone_yen for w in self.wards.values())
        joint = sum(w.share_yen for w in self.wards.values())
        return (standalone - joint) / standalone * 100


def _latest(
    session: Session, fiscal_year: int, as_of: datetime
) -> dict[tuple[str, str], CostEntry]:
    latest: dict[tuple[str, str], CostEntry] = {}
    for entry in session.scalars(
        select(CostEntry)
        .where(CostEntry.fiscal_year == fiscal_year, CostEntry.recorded_at <= as_of)
        .order_by(CostEntry.recorded_at, CostEntry.id)
    ):
        latest[(entry.kind, entry.tenant)] = entry
    return latest


def compare(session: Session, fiscal_year: int, as_of: datetime) -> CostComparison:
    latest = _latest(session, fiscal_year, as_of)
    joint = latest.get(("joint_operating", JOINT))
    if joint is None or joint.amount_yen is None:
        return CostComparison(fiscal_year, None, "")
    pops = populations(session)
    shares = {t: e.share_pct or 0.0 for (k, t), e in latest.items() if k == "joint_share"}
    by_share = set(shares) >= set(pops)
    total_pop = sum(pops.values())
    wards: dict[str, WardCost] = {}
    for (kind, ward), entry in latest.items():
        if kind != "standalone_estimate" or ward not in pops or not entry.amount_yen:
            continue
        pct = shares[ward] if by_share else 100 * pops[ward] / total_pop
        wards[ward] = WardCost(ward, pops[ward], entry.amount_yen, joint.amount_yen * pct / 100)
    return CostComparison(
        fiscal_year, joint.amount_yen, "recorded shares" if by_share else "population", wards
    )
