"""Harvesting N datasets from a CKAN portal (issue 13: 10,000 in ≤ 60 s).

    PYTHONPATH=src .venv/bin/python benchmarks/opendata_harvest.py --datasets 10000

A local stub (``tests/opendata/ckan_stub.py``) serves recorded ``package_search`` pages over
HTTP on 127.0.0.1, in this process; ``rengo.opendata.harvest`` pages it (100 a page,
sort=id asc) into a fresh SQLite database, then harvests again (nothing changed: incremental,
nothing added). Prints both times, the CPU time of the process (which the machine's load does
not inflate; the stub's serving included) and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.opendata.ckan_stub import Stub, package  # noqa: E402

from rengo.core.permissions import SYSTEM  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402
from rengo.opendata.harvest import harvest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=10_000)
    args = parser.parse_args()
    packages = [package(n) for n in range(1, args.datasets + 1)]
    with tempfile.TemporaryDirectory() as folder, Stub(packages) as stub:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        runtime = Runtime.from_settings(
            Settings(data_dir=Path(folder), database_url=url, secret_key="x" * 32)
        )
        with runtime.db.session() as session:
            sync_tenants(session)
        for label in ("first harvest", "second harvest (no change)"):
            started, cpu = time.perf_counter(), time.process_time()
            with runtime.db.session() as session:
                report = harvest(
                    session, SYSTEM, stub.url, "131016", runtime.settings, runtime.data_dir
                )
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{label}: {report.summary()} in {seconds:.1f} s "
                f"({args.datasets / seconds:,.0f} datasets/s; CPU {cpu:.1f} s, "
                f"{cpu / args.datasets * 1000:.2f} ms a dataset, the stub's serving included)"
            )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        runtime.close()


if __name__ == "__main__":
    main()
