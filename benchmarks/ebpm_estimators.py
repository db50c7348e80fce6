"""EBPM at the wards' scale: the estimators on panels of the 23 wards, and the HR import of
every ward's training completions followed by the training KPI.

    PYTHONPATH=$PWD/src python benchmarks/ebpm_estimators.py [--staff 3000] [--runs 5]

Timed: each estimator (median of ``--runs``) on 23 wards × 10 years (DiD with the wild
cluster bootstrap, 999 replications, and cluster-robust errors), 120 months (ITS), one
ward against 22 donors × 15 years (synthetic control with 22 placebo fits); then one
import of 23 × ``--staff`` completions (cp932 CSV) into a fresh SQLite database and the
KPI computed from it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from rengo.core.permissions import SYSTEM
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import wards
from rengo.domains import load_domains
from rengo.ebpm import training
from rengo.ebpm.estimators import Panel, estimate
from rengo.ebpm.estimators.base import Options
from rengo.ebpm.targets import staff_trained
from rengo.migrations import upgrade
from rengo.targets.registry import TargetContext


def _panel(units: int, treated: int, years: int, start: int, intervention: int) -> Panel:
    rng = np.random.default_rng(1)
    rows = []
    for u in range(units):
        level = rng.normal(50, 5)
        for t in range(years):
            value = (
                level
                + 0.3 * t
                + rng.normal(0, 1)
                + (3 if u < treated and start + t >= intervention else 0)
            )
            rows.append((f"w{u:02d}", start + t, float(value), u < treated))
    return Panel.of(rows, intervention)


def _time(label: str, runs: int, method: str, panel: Panel, options: Options) -> None:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = estimate(method, panel, options)
        times.append(time.perf_counter() - started)
    print(
        f"{label}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (estimate {result.estimate:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    did = _panel(23, 8, 10, 2015, 2020)
    _time(
        "DiD 23 wards × 10 years, wild cluster bootstrap 999",
        args.runs,
        "did",
        did,
        Options(bootstrap_below_clusters=30),
    )
    _time(
        "DiD 23 wards × 10 years, cluster-robust",
        args.runs,
        "did",
        did,
        Options(bootstrap_below_clusters=10),
    )
    _time("ITS 120 months, Newey–West", args.runs, "its", _panel(1, 1, 120, 0, 84), Options())
    _time(
        "synthetic control 1 + 22 donors × 15 years, 22 placebos",
        args.runs,
        "synthetic_control",
        _panel(23, 1, 15, 2010, 2020),
        Options(),
    )

    load_domains()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = create_engine(url)
        lines = ["職員番号,区,所属,研修コード,修了日"]
        for ward in wards():
            for s in range(args.staff):
                if s % 5:
                    lines.append(
                        f"{ward.code[-3:]}{s:05d},{ward.code},部{s % 12},DL-BASIC,2026-06-01"
                    )
        data = "\n".join(lines).encode("cp932")
        with Session(engine) as session:
            sync_tenants(session)
            training.ensure_courses(session)
            for ward in wards():
                for d in range(12):
                    training.set_staff_count(
                        session, ward.code, f"部{d}", args.staff // 12, date(2026, 4, 1)
                    )
            session.commit()
            started = time.perf_counter()
            result = training.import_completions(session, SYSTEM, data, filename="hr.csv")
            session.commit()
            print(
                f"HR import of {len(lines) - 1:,} completions: {time.perf_counter() - started:.2f} s ({result.created:,} created)"
            )
            started = time.perf_counter()
            again = training.import_completions(session, SYSTEM, data, filename="hr.csv")
            session.commit()
            print(
                f"the same file again: {time.perf_counter() - started:.2f} s ({again.updated:,} updated)"
            )
            now = datetime(2026, 12, 1, tzinfo=UTC)
            ctx = TargetContext(session, Settings(data_dir=Path(tmp)), DataDir(tmp), now, now)
            started = time.perf_counter()
            values = staff_trained(ctx)
            print(
                f"training KPI over 23 wards: {(time.perf_counter() - started) * 1000:.0f} ms (joint {values['joint'].value} %)"
            )


if __name__ == "__main__":
    main()
