"""The cost explorer: cost over time, grouped and filtered, shared costs split, rows on demand.

Every query runs on the lake with DuckDB. Rows of a shared pool are split between the
pool's wards by the pool's weights for that billing month at query time (so a change of
population or usage is reflected without rewriting the lake). Rows no rule allocated
are grouped as ``unallocated`` — visible to the joint centre, never spread silently.
A ward's principal sees only rows allocated to its ward (including its share of pools).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar, cast

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import json_member_path, literal_list
from rengo.finops.allocation import UNALLOCATED, Pool, pool_weights
from rengo.finops.lake import Lake, connect, empty_relation_sql
from rengo.finops.rollup import COLUMNS as ROLLUP_COLUMNS
from rengo.finops.rollup import KEYS as ROLLUP_KEYS
from rengo.finops.rollup import SUMS as ROLLUP_SUMS
from rengo.finops.rollup import rollup_select

T = TypeVar("T")

DIMENSIONS: dict[str, str] = {
    "ward": f"coalesce(__ward, '{UNALLOCATED}')",
    "business_system": f"coalesce(x_BusinessSystem, '{UNALLOCATED}')",
    "provider": "ProviderName",
    "service": "ServiceName",
    "service_category": "ServiceCategory",
    "region": "coalesce(RegionId, '')",
    "charge_category": "ChargeCategory",
    "sub_account": "coalesce(SubAccountName, SubAccountId, '')",
    "resource": "coalesce(ResourceId, '')",
    "billing_month": "billing_month",
    "shared_pool": "coalesce(x_SharedPool, '')",
}
METRICS = {"billed": "x_BilledCostReporting", "effective": "x_EffectiveCostReporting"}
GRANULARITIES = ("day", "month", "total")
ROW_COLUMNS = (
    "x_ChargeDate",
    "ProviderName",
    "BillingAccountId",
    "SubAccountId",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ChargeCategory",
    "ResourceId",
    "ResourceName",
    "ChargeDescription",
    "ConsumedQuantity",
    "ConsumedUnit",
    "BilledCost",
    "EffectiveCost",
    "BillingCurrency",
    "x_BilledCostReporting",
    "x_EffectiveCostReporting",
    "x_BusinessSystem",
    "x_SharedPool",
    "Tags",
)


TAG_KEY = re.compile(r"[\w .:/=+@-]{1,128}")
"""What cloud tag keys are made of; anything else (a backslash, a quote) would be read
by DuckDB's JSON path parser, which answers a stray escape with an error."""


def dimension_sql(name: str, where: str = "group_by") -> str:
    if name.startswith("tag:") and len(name) > 4:
        key = name[4:]
        if not TAG_KEY.fullmatch(key):
            raise InvalidInput(
                "invalid tag key",
                [Problem(f"{key!r}: letters, digits, space and . : / = + @ - _ only", where)],
            )
        return f"coalesce(json_extract_string(Tags, {json_member_path(key)}), '')"
    if name not in DIMENSIONS:
        raise InvalidInput(
            "unknown dimension",
            [Problem(f"{name!r}: one of {', '.join(DIMENSIONS)} or tag:<key>", where)],
        )
    return DIMENSIONS[name]


@dataclass(slots=True)
class CostQuery:
    start: date
    end: date
    """Inclusive charge days (JST)."""
    group_by: list[str] = field(default_factory=list)
    granularity: str = "month"
    metric: str = "effective"
    filters: dict[str, list[str]] = field(default_factory=dict)
    wards: frozenset[str] | None = None
    """Wards the asker may see; ``None`` = all (and unallocated)."""

    def check(self) -> None:
        problems = []
        if self.end < self.start:
            problems.append(Problem("end is before start", "period"))
        if self.granularity not in GRANULARITIES:
            problems.append(Problem(f"one of {', '.join(GRANULARITIES)}", "granularity"))
        if self.metric not in METRICS:
            problems.append(Problem(f"one of {', '.join(METRICS)}", "metric"))
        if len(self.group_by) > 3:
            problems.append(Problem("at most 3 dimensions", "group_by"))
        if problems:
            raise InvalidInput("invalid cost query", problems)
        for name in self.group_by:
            dimension_sql(name)
        for name in self.filters:
            dimension_sql(name, "tag" if name.startswith("tag:") else name)


@dataclass(frozen=True, slots=True)
class CostRow:
    period: str
    groups: tuple[str, ...]
    cost: float


class Explorer:
    """Queries over one lake; one DuckDB database per process, a cursor per query."""

    def __init__(self, lake: Lake, pools: list[Pool], populations: dict[str, int]) -> None:
        self.lake = lake
        self.pools = pools
        self.populations = populations
        self._con = connect()
        self._weights: tuple[str, str] | None = None
        self._lock = threading.Lock()
        self._rollup: tuple[str, str] | None = None
        self._rollups = 0
        self._last_day: date | None = None
        self._memo: dict[tuple[object, ...], object] = {}

    def close(self) -> None:
        self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    # -- the in-memory daily rollup ---------------------------------------------------

    def rollup_table(self) -> str:
        """The lake's daily rollup as an in-memory table, reloaded when the lake changes."""
        version = self.lake.version()
        with self._lock:
            if self._rollup and self._rollup[0] == version:
                return self._rollup[1]
            self._rollups += 1
            name = f"__rollup{self._rollups}"
            files = self.lake.rollup_files()
            parts = []
            ready = [f for f, is_rollup in files if is_rollup]
            if ready:
                listing = literal_list(ready)
                parts.append(f"SELECT * FROM read_parquet([{listing}])")  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            raw = [f for f, is_rollup in files if not is_rollup]
            if raw:  # a lake written before rollups existed
                listing = literal_list(raw)
                src = f"read_parquet([{listing}], hive_partitioning = true, union_by_name = true)"
                parts.append(rollup_select(src))
            if not parts:
                parts.append(rollup_select(empty_relation_sql()))
            self._con.execute(
                f"CREATE OR REPLACE TABLE {name} AS "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
                f"SELECT * FROM ({' UNION ALL BY NAME '.join(parts)}) ORDER BY x_ChargeDate"
            )
            # Months as a second table: a query over whole months reads ~30 times fewer rows.
            keys = [k for k in ROLLUP_KEYS if k != "x_ChargeDate"]
            sums = ", ".join(f"sum({c}) AS {c}" for c in ROLLUP_SUMS)
            self._con.execute(
                f"CREATE OR REPLACE TABLE {name}_m AS SELECT "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
                f"CAST(date_trunc('month', x_ChargeDate) AS DATE) AS x_ChargeDate, "
                f"{', '.join(keys)}, x_ExchangeRate, {sums}, sum(__rows) AS __rows "
                f"FROM {name} GROUP BY ALL ORDER BY x_ChargeDate"
            )
            last = self._con.execute(f"SELECT max(x_ChargeDate) FROM {name}").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            if self._rollup:
                self._con.execute(f"DROP TABLE IF EXISTS {self._rollup[1]}")
                self._con.execute(f"DROP TABLE IF EXISTS {self._rollup[1]}_m")
            self._rollup = (version, name)
            self._last_day = last[0] if last else None
            return name

    def _rollup_for(self, q: CostQuery) -> str:
        """The monthly rollup when ``q`` covers whole months of data, else the daily one."""
        daily = self.rollup_table()
        last = self._last_day
        whole_months = q.start.day == 1 and (
            (q.end + timedelta(days=1)).day == 1 or (last is not None and q.end >= last)
        )
        return f"{daily}_m" if q.granularity != "day" and whole_months else daily

    # -- shared-cost weights ---------------------------------------------------------

    def weights(self) -> dict[tuple[str, str], dict[str, Fraction]]:
        """Exact weights per (pool, billing month) for the months in the lake."""
        if not self.pools:
            return {}
        rel = self.rollup_table()
        cur = self.cursor()
        months = [r[0] for r in cur.execute(f"SELECT DISTINCT billing_month FROM {rel}").fetchall()]  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        direct: dict[str, dict[str, float]] = {}
        if any(p.method == "usage" for p in self.pools):
            for month, ward, cost in cur.execute(
                f"SELECT billing_month, x_Ward, sum(x_EffectiveCostReporting) FROM {rel} "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
                "WHERE x_Ward IS NOT NULL AND x_SharedPool IS NULL GROUP BY ALL"
            ).fetchall():
                direct.setdefault(month, {})[ward] = float(cost or 0)
        out = {}
        for pool in self.pools:
            for month in months:
                out[(pool.name, month)] = pool_weights(
                    pool, populations=self.populations, direct_cost=direct.get(month, {})
                )
        return out

    def weights_sql(self) -> str | None:
        version = self.lake.version()
        with self._lock:
            if self._weights and self._weights[0] == version:
                return self._weights[1] or None
        rows = [
            f"({literal_list([pool, month, ward])}, {float(w)!r})"
            for (pool, month), shares in self.weights().items()
            for ward, w in shares.items()
        ]
        sql = (
            f"(SELECT * FROM (VALUES {', '.join(rows)}) AS t(pool, billing_month, ward, weight))"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            if rows
            else ""
        )
        with self._lock:
            self._weights = (version, sql)
        return sql or None

    # -- queries -----------------------------------------------------------------------

    def allocated_sql(self, q: CostQuery, columns: Iterable[str]) -> str:
        """SELECT over the period's rows with ``columns``, each row given its ward (``__ward``)
        and its share (``__w``) after the allocation of shared pools."""
        needed = set(columns) | {"x_Ward", "x_SharedPool", "billing_month", "x_ChargeDate"}
        if needed <= ROLLUP_COLUMNS:
            rel, rows = self._rollup_for(q), "__rows"
        else:
            low = (q.start.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
            high = (q.end.replace(day=28) + timedelta(days=8)).strftime("%Y-%m")
            rel, rows = self.lake.relation_sql((low, high)), "1"
        cols = ", ".join([*sorted(needed), f"{rows} AS __rows"])
        base = (
            f"SELECT {cols} FROM {rel} WHERE x_ChargeDate BETWEEN DATE '{q.start}' AND DATE "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"'{q.end}'"
        )
        weights = self.weights_sql()
        if weights is None:
            return f"SELECT *, x_Ward AS __ward, 1.0 AS __w FROM ({base})"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        return (
            "SELECT b.*, CASE WHEN b.x_SharedPool IS NULL THEN b.x_Ward ELSE w.ward END AS "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            "__ward, "
            f"CASE WHEN b.x_SharedPool IS NULL THEN 1.0 ELSE coalesce(w.weight, 1.0) END AS __w "
            f"FROM ({base}) b LEFT JOIN {weights} w "
            "ON b.x_SharedPool = w.pool AND b.billing_month = w.billing_month"
        )

    def _where(self, q: CostQuery) -> str:
        clauses = []
        for name, values in q.filters.items():
            if values:
                clauses.append(f"{dimension_sql(name)} IN ({literal_list(values)})")
        if q.wards is not None:
            # The joint centre may ask for the unallocated rows as if they were a ward.
            listing = literal_list(q.wards) or "NULL"
            clauses.append(f"coalesce(__ward, '{UNALLOCATED}') IN ({listing})")
        return " AND ".join(clauses) or "true"

    @staticmethod
    def _needed(q: CostQuery) -> set[str]:
        names = {METRICS[q.metric], "x_BusinessSystem"}
        for dim in [*q.group_by, *q.filters]:
            if dim.startswith("tag:"):
                names.add("Tags")
                continue
            for col in (
                "ProviderName",
                "ServiceName",
                "ServiceCategory",
                "RegionId",
                "ChargeCategory",
                "SubAccountName",
                "SubAccountId",
                "ResourceId",
            ):
                if col in DIMENSIONS.get(dim, ""):
                    names.add(col)
        return names

    def costs(self, q: CostQuery) -> list[CostRow]:
        q.check()
        if self.lake.is_empty():
            return []
        period = {
            "day": "strftime(x_ChargeDate, '%Y-%m-%d')",
            "month": "strftime(x_ChargeDate, '%Y-%m')",
            "total": "''",
        }[q.granularity]
        dims = [dimension_sql(d) for d in q.group_by]
        select = ", ".join([f"{period} AS period", *(f"{d} AS g{i}" for i, d in enumerate(dims))])
        sql = (
            f"SELECT {select}, sum({METRICS[q.metric]} * __w) AS cost "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"FROM ({self.allocated_sql(q, self._needed(q))}) WHERE {self._where(q)} "
            f"GROUP BY ALL ORDER BY ALL"
        )
        rows = self.cursor().execute(sql).fetchall()
        return [CostRow(r[0], tuple(str(x) for x in r[1:-1]), float(r[-1] or 0.0)) for r in rows]

    def top_costs(self, q: CostQuery, top: int, other: str) -> tuple[list[CostRow], int]:
        """``costs`` of a one-dimension query with only the ``top`` groups of the largest
        absolute total, the others summed per period as the group ``other``; and how many
        groups there are in all. Ranked in the database: a daily breakdown by resource is
        hundreds of thousands of (period, group) cells, of which a page shows a few."""
        q.check()
        if self.lake.is_empty() or len(q.group_by) != 1:
            rows = self.costs(q)
            return rows, len({r.groups for r in rows})
        period = {"day": "'%Y-%m-%d'", "month": "'%Y-%m'"}.get(q.granularity)
        period_sql = f"strftime(x_ChargeDate, {period})" if period else "''"
        sql = (
            f"WITH cells AS (SELECT {period_sql} AS period, {dimension_sql(q.group_by[0])} AS g, "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"sum({METRICS[q.metric]} * __w) AS cost "
            f"FROM ({self.allocated_sql(q, self._needed(q))}) WHERE {self._where(q)} "
            "GROUP BY ALL), ranked AS (SELECT g, row_number() OVER "
            "(ORDER BY abs(sum(cost)) DESC, CAST(g AS VARCHAR)) AS rank, count(*) OVER () AS n "
            "FROM cells GROUP BY g) "
            f"SELECT period, CASE WHEN rank <= {int(top)} THEN CAST(g AS VARCHAR) "
            f"ELSE {literal_list([other])} END AS g, sum(cost), max(n) "
            "FROM cells JOIN ranked USING (g) GROUP BY ALL ORDER BY 1, 2"
        )
        found = self.cursor().execute(sql).fetchall()
        groups = int(found[0][3]) if found else 0
        return [CostRow(r[0], (str(r[1]),), float(r[2] or 0.0)) for r in found], groups

    def total(self, q: CostQuery) -> float:
        saved = (q.group_by, q.granularity)
        q.group_by, q.granularity = [], "total"
        try:
            rows = self.costs(q)
        finally:
            q.group_by, q.granularity = saved
        return rows[0].cost if rows else 0.0

    def unpriced(self, q: CostQuery) -> tuple[int, dict[str, float]]:
        """Rows lacking an exchange rate (their reporting amount is empty), per currency."""
        if self.lake.is_empty():
            return 0, {}
        return self._kept("unpriced", q, lambda: self._unpriced_now(q))

    def _unpriced_now(self, q: CostQuery) -> tuple[int, dict[str, float]]:
        cols = {"BillingCurrency", "BilledCost", "x_ExchangeRate"} | self._needed(q)
        sql = (
            "SELECT BillingCurrency, sum(__rows), sum(BilledCost) FROM "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"({self.allocated_sql(q, cols)}) "
            f"WHERE x_ExchangeRate IS NULL AND {self._where(q)} GROUP BY 1"
        )
        rows = self.cursor().execute(sql).fetchall()
        return sum(int(r[1]) for r in rows), {str(r[0]): float(r[2] or 0) for r in rows}

    def rows(
        self, q: CostQuery, *, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """The cost rows behind a query (drill-down), with the share a ward carries."""
        q.check()
        if self.lake.is_empty():
            return 0, []
        inner = self.allocated_sql(q, ROW_COLUMNS)
        where = self._where(q)
        cur = self.cursor()
        count = cur.execute(f"SELECT count(*) FROM ({inner}) WHERE {where}").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        cols = ", ".join([*ROW_COLUMNS, "__ward", "__w"])
        result = cur.execute(
            f"SELECT {cols} FROM ({inner}) WHERE {where} "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"ORDER BY x_ChargeDate DESC, {METRICS[q.metric]} DESC NULLS LAST LIMIT {int(limit)} "
            f"OFFSET {int(offset)}"
        )
        names = [d[0] for d in result.description]
        items = []
        for values in result.fetchall():
            item = dict(zip(names, values, strict=True))
            item["ward"] = item.pop("__ward") or UNALLOCATED
            item["share"] = float(item.pop("__w"))
            items.append(item)
        return int(count[0]) if count else 0, items

    def last_day(self) -> date | None:
        """The newest charge day in the lake."""
        if self.lake.is_empty():
            return None
        self.rollup_table()
        return self._last_day

    def _kept(self, what: str, q: CostQuery, compute: Callable[[], T], *extra: object) -> T:
        """``compute()`` for query ``q``, kept until the lake or the allocation changes (the
        explorer page asks the same filter choices and unpriced rows on every load)."""
        key = (
            what,
            self.lake.version(),
            hash(self.weights_sql() or ""),
            q.start,
            q.end,
            tuple(q.group_by),
            q.granularity,
            q.metric,
            q.wards,
            tuple(sorted((k, tuple(v)) for k, v in q.filters.items())),
            *extra,
        )
        with self._lock:
            found = self._memo.get(key)
        if found is None:
            found = compute()
            with self._lock:
                if len(self._memo) >= 512:
                    self._memo.clear()
                self._memo[key] = found
        return cast(T, found)

    def distinct(self, dimension: str, q: CostQuery, limit: int = 200) -> list[str]:
        """Values a filter can take (for the explorer's selects)."""
        return self._kept(
            "distinct", q, lambda: self._distinct_now(dimension, q, limit), dimension, limit
        )

    def _distinct_now(self, dimension: str, q: CostQuery, limit: int) -> list[str]:
        expr = dimension_sql(dimension)
        inner = self.allocated_sql(q, self._needed(CostQuery(q.start, q.end, [dimension])))
        rows = (
            self.cursor()
            .execute(
                f"SELECT DISTINCT {expr} FROM ({inner}) WHERE {self._where(q)} ORDER BY 1 "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
                f"LIMIT {int(limit)}"
            )
            .fetchall()
        )
        return [str(r[0]) for r in rows if r[0] not in (None, "")]
