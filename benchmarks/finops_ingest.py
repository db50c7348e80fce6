"""Ingest throughput: one month of FOCUS rows for the 23 wards into the lake, rows/s.

    python benchmarks/finops_ingest.py --rows 1000000 [--format parquet|csv] [--runs 3]

The month is the demo generator's (23 wards × 20 systems, daily rows per resource), its
resources repeated with distinct ids until it has ``--rows`` rows, written as one export
file. Timed: the whole ``ingest_files`` (read, check, convert, allocate with the demo's
rules, price, write the partitions) — what ``rengo finops ingest`` does.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rengo.core.storage import DataDir
from rengo.finops.allocation import Rule
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import Lake
from rengo.finops.synthetic import generate

RULES = [
    Rule(1, 5, "tag", "gc-network", tag_key="shared", shared_pool="gc-network"),
    Rule(2, 5, "tag", "common-platform", tag_key="shared", shared_pool="common-platform"),
    Rule(3, 10, "tag", "*", tag_key="ward", ward_from_value=True),
    Rule(4, 10, "tag", "*", tag_key="system", system_from_value=True),
]


def month_table(rows: int) -> pa.Table:
    tables, _plan = generate(end=date(2026, 10, 31), months=1)
    base = pa.concat_tables([t for _p, _m, t in tables if _p != "Oracle"])
    copies, n = [], 0
    while n < rows:
        i = len(copies)
        copy = base.set_column(
            base.schema.get_field_index("ResourceId"),
            "ResourceId",
            pc.binary_join_element_wise(base["ResourceId"], pa.scalar(f"-{i}"), ""),
        )
        copies.append(copy)
        n += copy.num_rows
    return pa.concat_tables(copies).slice(0, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        table = month_table(args.rows)
        path = Path(tmp) / f"focus-month.{args.format}"
        if args.format == "parquet":
            pq.write_table(table, path)
        else:
            pacsv.write_csv(table, path)
        print(f"{table.num_rows:,} FOCUS rows, {path.stat().st_size / 2**20:.0f} MiB {args.format}")
        timings, cpu = [], []
        for run in range(args.runs):
            lake = Lake.of(DataDir(Path(tmp) / f"data{run}").ensure())
            started, cpu_started = time.perf_counter(), time.process_time()
            report = ingest_files(lake, [path], Enrichment(RULES, []))
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert report.rows == table.num_rows, report.rows
        best, median = min(timings), statistics.median(timings)
        # CPU time of all threads: on a shared machine the wall time includes waiting.
        print(
            f"ingest: median {median:.2f} s ({table.num_rows / median:,.0f} rows/s), "
            f"best {best:.2f} s ({table.num_rows / best:,.0f} rows/s); "
            f"CPU {statistics.median(cpu):.2f} s; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
