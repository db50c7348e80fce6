"""FinOps budget/settlement import: parsing and storing a large cp932 CSV (issue 18).

    .venv/bin/python benchmarks/finops_budget_import.py --lines 50000 --backend sqlite

Writes one file of ``--lines`` lines for the 23 wards (the 20 standard systems, every cost
category, before and after the migration), imports it (all lines or none), imports it
again (every line replaced) and computes the lines of a year and their allocation to the
20 systems. Prints lines per second for each, and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import wards
from rengo.finops import budget_import
from rengo.finops.operating_cost import allocate, lines_of_year
from rengo.migrations import upgrade

CATEGORIES = ("ライセンス", "保守", "運用委託", "回線", "アプリケーション利用料")


def write(path: Path, lines: int) -> None:
    systems = [t.ja for t in BUSINESS_SYSTEMS.values()]
    codes = [w.code for w in wards()]
    rows = ["団体コード,年度,予算決算区分,対象,業務,経費区分,金額,摘要"]
    for i in range(lines):
        scope, year = ("現行システム", 2024) if i % 2 else ("標準準拠システム", 2025)
        system, category = systems[i % 20], CATEGORIES[i % 5]
        rows.append(f"{codes[i % 23]},{year},決算,{scope},{system},{category},{1000 + i},明細{i}")
    path.write_bytes(("\n".join(rows) + "\n").encode("cp932"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/rengo_bench"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rengo-budget-bench-"))
    url = f"sqlite:///{root / 'rengo.db'}" if args.backend == "sqlite" else args.pg_url
    upgrade(url)
    runtime = Runtime.from_settings(Settings(data_dir=root / "data", database_url=url))
    with runtime.db.session() as session:
        sync_tenants(session)
    path = root / "budget.csv"
    write(path, args.lines)
    data = path.read_bytes()
    timings = []
    for _ in range(2):  # the second import replaces every line of the first
        started = time.perf_counter()
        with runtime.db.session() as session:
            result = budget_import.import_budget(session, SYSTEM, data, filename=path.name)
        timings.append(time.perf_counter() - started)
    started = time.perf_counter()
    with runtime.db.session() as session:
        per_ward = lines_of_year(session, 2024, "current")
        allocated = {w: allocate(lines) for w, lines in per_ward.items()}
    computed = time.perf_counter() - started
    assert result.rows == args.lines and result.replaced == args.lines
    assert len(allocated) == 23
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.backend}: {args.lines:,} lines, {len(data) / 1e6:.1f} MB cp932")
    print(f"import: {args.lines / timings[0]:,.0f} lines/s ({timings[0]:.1f} s)")
    print(f"re-import (all replaced): {args.lines / timings[1]:,.0f} lines/s ({timings[1]:.1f} s)")
    print(f"lines of a year + allocation: {computed:.2f} s; peak RSS {peak:,.0f} MB")
    runtime.close()


if __name__ == "__main__":
    main()
