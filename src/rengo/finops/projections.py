"""One computation of the month-end and fiscal-year-end projections, shared by the KGI page,
the forecasts and budgets page and the operating-cost targets.

The daily cost per (ward, business system, shared pool) from the start of the fiscal year
(or 200 days back, whichever is earlier) is read from the explorer once per lake version,
allocation weights and day; each projection of a ward (or of some of its systems) is then
computed once and kept beside it. Every view filters the same figures by what its asker
may see, so the KGI page's whole-ward figure is the forecasts page's, to the yen.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.forecast import Projection, fiscal_year_of, project_fiscal_year, project_month
from rengo.finops.settings import FinopsSettings

Daily = dict[date, float]


@dataclass(slots=True)
class CostSeries:
    """Daily cost of every (ward, system, pool) up to ``as_of``, and projections kept."""

    as_of: date
    start_month: int
    coverage: float
    cells: dict[str, dict[tuple[str, str], Daily]]
    """ward → (business system, shared pool) → day → cost."""
    _memo: dict[tuple[object, ...], Projection] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wards(self) -> list[str]:
        return sorted(self.cells)

    def costs(
        self, ward: str, *, systems: Iterable[str] | None = None, exclude_pool: str = ""
    ) -> Daily:
        """The ward's daily cost, of ``systems`` only when given, without one pool's share."""
        wanted = frozenset(systems) if systems is not None else None
        total: Daily = defaultdict(float)
        for (system, pool), days in self.cells.get(ward, {}).items():
            if (wanted is None or system in wanted) and not (exclude_pool and pool == exclude_pool):
                for day, cost in days.items():
                    total[day] += cost
        return dict(total)

    def pool_costs(self, ward: str, pool: str) -> Daily:
        """The ward's daily share of one shared pool."""
        total: Daily = defaultdict(float)
        for (_system, p), days in self.cells.get(ward, {}).items():
            if p == pool:
                for day, cost in days.items():
                    total[day] += cost
        return dict(total)

    def _kept(self, key: tuple[object, ...], compute: Callable[[], Projection]) -> Projection:
        with self._lock:
            found = self._memo.get(key)
        if found is None:
            found = compute()
            with self._lock:
                self._memo[key] = found
        return found

    def year(
        self, ward: str, *, systems: Iterable[str] | None = None, exclude_pool: str = ""
    ) -> Projection:
        """Actual so far and forecast to the end of the fiscal year (``systems``: only those)."""
        chosen = tuple(sorted(systems)) if systems is not None else None
        return self._kept(
            ("year", ward, chosen, exclude_pool),
            lambda: project_fiscal_year(
                self.costs(ward, systems=chosen, exclude_pool=exclude_pool),
                self.as_of,
                start_month=self.start_month,
                coverage=self.coverage,
            ),
        )

    def pool_year(self, ward: str, pool: str) -> Projection:
        return self._kept(
            ("pool", ward, pool),
            lambda: project_fiscal_year(
                self.pool_costs(ward, pool),
                self.as_of,
                start_month=self.start_month,
                coverage=self.coverage,
            ),
        )

    def month(self, ward: str) -> Projection:
        return self._kept(
            ("month", ward),
            lambda: project_month(self.costs(ward), self.as_of, self.coverage),
        )


KEPT = 8
"""Series kept per lake: the pages ask for the lake's last day, the targets for today and
for past month ends (their trend); each keeps its own."""
_cache: dict[Path, dict[tuple[object, ...], CostSeries]] = defaultdict(dict)
_cache_lock = threading.Lock()
_build_locks: dict[Path, threading.Lock] = {}


def cost_series(explorer: Explorer, as_of: date, s: FinopsSettings) -> CostSeries:
    """The shared series for ``as_of``, read again only when the lake, the allocation
    weights, the day or the forecast settings change; one reader at a time builds it."""
    key = (
        explorer.lake.version(),
        hash(explorer.weights_sql() or ""),
        as_of,
        s.fiscal_year_start_month,
        s.forecast_interval,
    )
    root = explorer.lake.root
    with _build_locks.setdefault(root, threading.Lock()):  # setdefault: atomic
        with _cache_lock:
            hit = _cache[root].get(key)
        if hit is not None:
            return hit
        built = _read(explorer, as_of, s)
        with _cache_lock:
            kept = _cache[root]
            for old in [k for k in kept if k[:2] != key[:2]]:
                del kept[old]  # an older lake or allocation: never asked again
            while len(kept) >= KEPT:
                del kept[next(iter(kept))]
            kept[key] = built
        return built


def _read(explorer: Explorer, as_of: date, s: FinopsSettings) -> CostSeries:
    fy_start = date(fiscal_year_of(as_of, s.fiscal_year_start_month), s.fiscal_year_start_month, 1)
    cells: dict[str, dict[tuple[str, str], Daily]] = defaultdict(lambda: defaultdict(dict))
    if not explorer.lake.is_empty():
        query = CostQuery(
            min(fy_start, as_of - timedelta(days=200)),
            as_of,
            ["ward", "business_system", "shared_pool"],
            "day",
        )
        for r in explorer.costs(query):
            ward, system, pool = r.groups
            cells[ward][(system, pool)][date.fromisoformat(r.period)] = r.cost
    return CostSeries(
        as_of,
        s.fiscal_year_start_month,
        s.forecast_interval,
        {w: dict(v) for w, v in cells.items()},
    )
