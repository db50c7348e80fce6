"""The annual operating cost of a ward's standard systems, before and after migration, and
its security cost — computed from the imported budget/settlement lines and the cloud bill.

- **Lines of a year**: for each (ward, fiscal year, scope) the settlement (決算) lines when
  the ward imported any, else its budget (予算) lines.
- **Allocation to the 20 standard business systems**: a line naming a business system is
  that system's; a common line (業務 共通 or empty) is split between the systems in
  proportion to their direct lines of the same ward, year and scope, or evenly over the 20
  when there are none.
- **Before** (現行システム): the ward's lines of scope ``current`` of the latest fiscal year
  before this one that has any. A ward with none falls back to the baselines typed in on
  the KGI page (``finops_baselines``), marked so in the detail.
- **After** (標準準拠システム): this fiscal year's lines of scope ``standard`` except the
  category クラウド利用料 (the cloud bill comes from the FOCUS data, not counted twice),
  plus the ward's cloud bill for this fiscal year (actual + forecast to the year end;
  its share of the joint SOC/CSIRT's pool left out, as a security cost).
- **Security**: a ward's lines of scope ``security`` of this fiscal year are what it spends
  (or would spend) on its own; the joint SOC/CSIRT's cost is the FOCUS rows of the shared
  pool ``finops.joint_security_pool`` (split by that pool's method) plus the joint centre's
  own lines of scope ``security`` (split by population).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.tenancy import populations
from rengo.core.wards import JOINT, is_tenant
from rengo.finops.explorer import Explorer
from rengo.finops.forecast import fiscal_year_of
from rengo.finops.models import Baseline, BudgetLine
from rengo.finops.projections import cost_series
from rengo.finops.settings import FinopsSettings


def lines_of_year(session: Session, fiscal_year: int, scope: str) -> dict[str, list[BudgetLine]]:
    """Per ward: its settlement lines of the year and scope, else its budget lines."""
    staged: dict[tuple[str, str], list[BudgetLine]] = defaultdict(list)
    for line in session.scalars(
        select(BudgetLine)
        .where(BudgetLine.fiscal_year == fiscal_year, BudgetLine.scope == scope)
        .order_by(BudgetLine.id)
    ):
        staged[(line.ward, line.stage)].append(line)
    out: dict[str, list[BudgetLine]] = {}
    for ward in sorted({w for w, _ in staged}):
        out[ward] = staged.get((ward, "settlement")) or staged[(ward, "budget")]
    return out


def allocate(lines: Iterable[BudgetLine]) -> dict[str, float]:
    """Yen per standard business system: direct lines, plus the common lines split in
    proportion to the direct ones (evenly over the 20 when there are none)."""
    direct: dict[str, float] = defaultdict(float)
    common = 0.0
    for line in lines:
        if line.business_system:
            direct[line.business_system] += line.amount
        else:
            common += line.amount
    total = sum(direct.values())
    if total:
        return {s: v + common * v / total for s, v in direct.items()}
    if common:
        return {s: common / len(BUSINESS_SYSTEMS) for s in BUSINESS_SYSTEMS}
    return {}


@dataclass(frozen=True, slots=True)
class WardOperatingCost:
    ward: str
    before: float
    before_year: int | None
    """The fiscal year of the lines counted as before; ``None``: the typed-in baseline."""
    after_lines: float
    after_cloud: float
    before_lines: list[BudgetLine] = field(default_factory=list)
    after_line_items: list[BudgetLine] = field(default_factory=list)

    @property
    def after(self) -> float:
        return self.after_lines + self.after_cloud

    @property
    def growth_pct(self) -> float | None:
        return 100.0 * (self.after - self.before) / self.before if self.before else None


def cloud_fiscal_year(explorer: Explorer, as_of: date, s: FinopsSettings) -> dict[str, float]:
    """Each ward's cloud bill of the fiscal year containing ``as_of``, actual + forecast,
    without its share of the joint SOC/CSIRT's pool (a security cost, not the systems')."""
    series = cost_series(explorer, as_of, s)
    return {
        w: series.year(w, exclude_pool=s.joint_security_pool).forecast
        for w in series.wards()
        if is_tenant(w) and w != JOINT
    }


def operating_costs(
    session: Session, explorer: Explorer, as_of: date, s: FinopsSettings
) -> dict[str, WardOperatingCost]:
    """Every ward with a before and an after figure."""
    year = fiscal_year_of(as_of, s.fiscal_year_start_month)
    after = {
        w: [x for x in lines if x.category != "cloud"]
        for w, lines in lines_of_year(session, year, "standard").items()
    }
    cloud = cloud_fiscal_year(explorer, as_of, s)
    before: dict[str, tuple[int, list[BudgetLine]]] = {}
    past_years = sorted(
        set(
            session.scalars(
                select(BudgetLine.fiscal_year).where(
                    BudgetLine.scope == "current", BudgetLine.fiscal_year < year
                )
            )
        ),
        reverse=True,
    )
    for past in past_years:
        for ward, lines in lines_of_year(session, past, "current").items():
            before.setdefault(ward, (past, lines))
    typed: dict[str, float] = defaultdict(float)
    for b in session.scalars(select(Baseline)):
        typed[b.ward] += b.annual_cost
    out: dict[str, WardOperatingCost] = {}
    for ward in sorted((set(after) | set(cloud)) - {JOINT}):
        if ward in before:
            past, lines = before[ward]
            base, base_year = sum(x.amount for x in lines), past
        elif typed.get(ward):
            lines, base, base_year = [], typed[ward], None
        else:
            continue
        items = after.get(ward, [])
        out[ward] = WardOperatingCost(
            ward=ward,
            before=base,
            before_year=base_year,
            after_lines=sum(x.amount for x in items),
            after_cloud=cloud.get(ward, 0.0),
            before_lines=lines,
            after_line_items=items,
        )
    return out


@dataclass(frozen=True, slots=True)
class WardSecurityCost:
    ward: str
    population: int
    standalone: float
    joint_share: float
    lines: list[BudgetLine]

    @property
    def reduction_pct(self) -> float:
        # Per resident both sides divide by the same population, so it cancels.
        return 100.0 * (self.standalone - self.joint_share) / self.standalone


@dataclass(frozen=True, slots=True)
class SecurityCosts:
    fiscal_year: int
    joint_cloud: float
    """The FOCUS rows of the joint SOC/CSIRT's pool, this fiscal year (actual + forecast)."""
    joint_lines: list[BudgetLine]
    wards: dict[str, WardSecurityCost]

    @property
    def joint_total(self) -> float:
        return self.joint_cloud + sum(x.amount for x in self.joint_lines)


def security_costs(
    session: Session, explorer: Explorer, as_of: date, s: FinopsSettings
) -> SecurityCosts:
    year = fiscal_year_of(as_of, s.fiscal_year_start_month)
    lines = lines_of_year(session, year, "security")
    pops = populations(session)
    series = cost_series(explorer, as_of, s)
    share_of_cloud = {
        w: series.pool_year(w, s.joint_security_pool).forecast
        for w in series.wards()
        if w in pops and series.pool_costs(w, s.joint_security_pool)
    }
    joint_lines = lines.get(JOINT, [])
    joint_own = sum(x.amount for x in joint_lines)
    total_pop = sum(pops.values()) or 1
    wards: dict[str, WardSecurityCost] = {}
    for ward, own in lines.items():
        standalone = sum(x.amount for x in own)
        if ward == JOINT or ward not in pops or not standalone:
            continue
        share = share_of_cloud.get(ward, 0.0) + joint_own * pops[ward] / total_pop
        wards[ward] = WardSecurityCost(ward, pops[ward], standalone, share, own)
    return SecurityCosts(year, sum(share_of_cloud.values()), joint_lines, wards)
