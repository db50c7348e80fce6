"""Explorer latency over a lake of N million FOCUS rows (23 wards × 24 months), p50/p95,
and the anomaly scan over every series.

    python benchmarks/finops_explorer.py --rows 10000000 [--keep DIR] [--runs 20]

The lake is the demo generator's 24 months for the 23 wards with its resources repeated
(distinct ids) until it holds ``--rows`` rows, ingested month by month as the CLI does.
``--keep DIR`` keeps (and on a second run reuses) the lake. Timed: the queries the
explorer page and ``/api/v1/finops/costs`` run, on a fresh explorer (the first query
loads the daily rollups: reported separately), then ``scan.scan_anomalies``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rengo.core.storage import DataDir
from rengo.core.wards import wards
from rengo.finops.allocation import Pool, Rule
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import Lake
from rengo.finops.scan import daily_series
from rengo.finops.settings import FinopsSettings
from rengo.finops.synthetic import generate

END = date(2026, 10, 31)
RULES = [
    Rule(1, 5, "tag", "gc-network", tag_key="shared", shared_pool="gc-network"),
    Rule(2, 5, "tag", "common-platform", tag_key="shared", shared_pool="common-platform"),
    Rule(3, 10, "tag", "*", tag_key="ward", ward_from_value=True),
    Rule(4, 10, "tag", "*", tag_key="system", system_from_value=True),
]
POOLS = [Pool("gc-network", "population", ()), Pool("common-platform", "usage", ())]


def tile(table: pa.Table, copies: int) -> pa.Table:
    column = table.schema.get_field_index("ResourceId")
    return pa.concat_tables(
        table.set_column(
            column,
            "ResourceId",
            pc.binary_join_element_wise(table["ResourceId"], pa.scalar(f"-{i}"), ""),
        )
        for i in range(copies)
    )


def fill(lake: Lake, rows: int, folder: Path) -> int:
    tables, _plan = generate(end=END, months=24)
    by_month: dict[str, list[pa.Table]] = {}
    for _provider, month, table in tables:
        by_month.setdefault(month, []).append(table)
    base = sum(t.num_rows for ts in by_month.values() for t in ts)
    copies = max(1, round(rows / base))
    total = 0
    started = time.perf_counter()
    for month, parts in sorted(by_month.items()):
        files = []
        for i, part in enumerate(parts):
            path = folder / f"{month}-{i}.parquet"
            pq.write_table(tile(part, copies), path)
            files.append(path)
        total += ingest_files(lake, files, Enrichment(RULES, [])).rows
        for path in files:
            path.unlink()
    elapsed = time.perf_counter() - started
    print(f"lake: {total:,} rows ingested in {elapsed:.0f} s ({total / elapsed:,.0f} rows/s)")
    return total


CPU: list[float] = []


def timed(runs: int, call: object) -> tuple[float, float]:
    """p50 and p95 wall time; the process CPU time per call is kept in CPU (the machine is
    shared: CPU time shows the work, wall time the wait as well)."""
    timings = []
    cpu = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    CPU.append((time.process_time() - cpu) / runs)
    timings.sort()
    return statistics.median(timings), timings[max(0, int(0.95 * len(timings)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        lake = Lake.of(DataDir(root / "data").ensure())
        if lake.is_empty():
            root.mkdir(parents=True, exist_ok=True)
            fill(lake, args.rows, root)
        pops = {w.code: w.population for w in wards()}
        ex = Explorer(lake, POOLS, pops)
        started = time.perf_counter()
        ex.rollup_table()
        ex.weights_sql()
        print(f"explorer start (load rollups, weights): {time.perf_counter() - started:.2f} s")
        year = (END - timedelta(days=364), END)
        one = frozenset({"131016"})
        queries = {
            "12 months by ward, monthly": CostQuery(*year, ["ward"], "month"),
            "24 months by system, one ward": CostQuery(
                END.replace(year=END.year - 2) + timedelta(days=1),
                END,
                ["business_system"],
                "month",
                wards=one,
            ),
            "90 days by service, daily, one provider": CostQuery(
                END - timedelta(days=89), END, ["service"], "day", filters={"provider": ["AWS"]}
            ),
            "12 months ward × charge category, billed": CostQuery(
                *year, ["ward", "charge_category"], "month", "billed"
            ),
            "last month by region, total": CostQuery(END.replace(day=1), END, ["region"], "total"),
        }
        for name, q in queries.items():
            p50, p95 = timed(args.runs, lambda q=q: ex.costs(q))
            print(
                f"{name}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"CPU {CPU[-1] * 1000:.0f} ms"
            )
        p50, p95 = timed(args.runs, lambda: ex.distinct("service", CostQuery(*year)))
        print(
            f"filter choices (distinct services, a year): p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
        p50, p95 = timed(
            max(3, args.runs // 4),
            lambda: ex.rows(CostQuery(END - timedelta(days=30), END, wards=one), limit=50),
        )
        print(
            f"drill-down rows (30 days, one ward, 50 rows): p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms"
        )
        from rengo.finops.anomaly import detect
        from rengo.finops.scan import thresholds

        started = time.perf_counter()
        series = daily_series(ex, END - timedelta(days=400), END)
        loaded = time.perf_counter() - started
        t = thresholds(FinopsSettings())
        found = 0
        import numpy as np

        for costs in series.values():
            first = min(costs)
            span = [first + timedelta(days=i) for i in range((END - first).days + 1)]
            found += len(detect(np.array([costs.get(d, 0.0) for d in span]), span, t))
        print(
            f"anomaly scan: {len(series):,} series × up to 400 days "
            f"in {time.perf_counter() - started:.1f} s "
            f"(series read in {loaded:.1f} s), {found} detections"
        )
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
