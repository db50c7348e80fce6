"""Anomaly scan over every daily series of a lake (23 wards × 20 systems × services,
400 days each), as ``rengo finops scan`` runs it: seconds end to end.

    python benchmarks/finops_anomaly.py --rows 10000000 [--keep DIR]

The lake is built as in ``finops_explorer.py`` (same ``--keep`` directory reused). Timed:
``scan.scan_anomalies`` on a fresh explorer (rollups loaded first, reported apart) with
the alerts stored in a database, then a second scan (nothing new to store).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finops_explorer import END, POOLS, fill  # a sibling script
from rengo.core.storage import DataDir
from rengo.core.wards import wards
from rengo.finops.explorer import Explorer
from rengo.finops.lake import Lake
from rengo.finops.models import Alert
from rengo.finops.scan import scan_anomalies
from rengo.finops.settings import FinopsSettings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        lake = Lake.of(DataDir(root / "data").ensure())
        if lake.is_empty():
            root.mkdir(parents=True, exist_ok=True)
            fill(lake, args.rows, root)
        ex = Explorer(lake, POOLS, {w.code: w.population for w in wards()})
        started = time.perf_counter()
        ex.rollup_table()
        print(f"rollups loaded in {time.perf_counter() - started:.2f} s")
        engine = create_engine("sqlite://")
        Alert.__table__.create(engine)  # type: ignore[attr-defined]
        for label in ("first scan", "second scan"):
            with Session(engine) as session:
                started, cpu = time.perf_counter(), time.process_time()
                series, found, new = scan_anomalies(session, ex, END, FinopsSettings())
                session.commit()
                print(
                    f"{label}: {series:,} series × 400 days "
                    f"in {time.perf_counter() - started:.1f} s "
                    f"(CPU {time.process_time() - cpu:.1f} s); {len(found)} detections, {new} new "
                    "alerts"
                )
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
