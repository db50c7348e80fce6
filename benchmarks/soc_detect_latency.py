"""Ingest-to-alert latency at a sustained 10,000 events/s, through the real lake and queue.

    .venv/bin/python benchmarks/soc_detect_latency.py [--seconds 60] [--rate 10000] [--sigma]

A writer process commits synthetic events of 23 wards into a real SOC lake (``Lake.commit``,
as the ingest writer does: one commit every ``--commit-seconds``), each commit with one
shadow-copy deletion (a rule of the municipal pack). The incremental detector
(``IncrementalDetector``, polling every second) evaluates the new events and queues the
alerts in a SQLite state database. The writer runs in its own process, as the ingest
writer does; the rate it achieves is printed (it falls short on a loaded machine). Latency = the alert's creation minus the commit of its
event; printed as p50/p95/max, with the detector's share of the wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import select  # noqa: E402
from tests.helpers import shared_data_dir  # noqa: E402

from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402
from rengo.soc.alerts_models import Alert, AlertEvent  # noqa: E402
from rengo.soc.detect.rules import load_rules  # noqa: E402
from rengo.soc.detect.runner import IncrementalDetector, open_lake  # noqa: E402
from soc_detect_synthetic import Generator  # noqa: E402

ATTACK = "C:\\Windows\\System32\\vssadmin.exe delete shadows /all /quiet"


def write_commits(root: str, per_commit: int, every: float, out: Any, stop: Any) -> None:
    """Commit ``per_commit`` events every ``every`` seconds into the lake at ``root``."""
    from rengo.soc.lake import Lake

    lake, generator = Lake(Path(root)), Generator(seed=11)
    seq, started = lake.head(), time.monotonic()
    while not stop.is_set():
        table = generator.batch(per_commit)
        rows = table.to_pylist()
        now = datetime.now(UTC)
        for row in rows:
            row["unmapped"] = dict(row["unmapped"] or [])
            row["time"] = now - timedelta(seconds=1)
        marker = f"attack-{seq}"
        rows[0].update(event_id=marker, class_uid=1007, process_cmd_line=ATTACK)
        seq += 1
        lake.commit(seq, rows, [])
        out.put((marker, time.time(), len(rows)))
        time.sleep(max(0.0, started + (seq - 1) * every + every - time.monotonic()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--commit-seconds", type=float, default=2.0)
    parser.add_argument("--sigma", action="store_true", help="also every SigmaHQ Windows rule")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rengo-latency-"))
    settings = Settings(
        data_dir=data, secret_key="bench", detect={"poll_seconds": 1.0, "workers": 2}
    )
    upgrade(settings.resolved_database_url())
    runtime = Runtime.from_settings(settings)
    with runtime.db.session() as session:
        sync_tenants(session)
    folders = []
    shared = shared_data_dir()
    if args.sigma and shared is not None:
        sigma = shared / "sigma"
        folders = [
            sigma / "rules" / "windows",
            sigma / "rules-emerging-threats",
            sigma / "rules-threat-hunting" / "windows",
        ]
    rules = load_rules(
        folders,
        include_builtin=True,
        cache_dir=ROOT / "benchmarks" / "out" / "soc-detect" / "rule-cache",
    )
    lake = open_lake(runtime)
    per_commit = int(args.rate * args.commit_seconds)
    commits: multiprocessing.Queue[tuple[str, float, int]] = multiprocessing.Queue()
    stop = multiprocessing.Event()
    # The writer is its own process, as the ingest writer is: no GIL shared with detection.
    writer = multiprocessing.Process(
        target=write_commits,
        args=(str(lake.root), per_commit, args.commit_seconds, commits, stop),
        daemon=True,
    )
    detector = IncrementalDetector(runtime, rules, lake)
    writer.start()
    committed: dict[str, float] = {}
    events = 0
    latencies: list[float] = []
    busy, deadline = 0.0, time.monotonic() + args.seconds
    seen: set[str] = set()
    for report in detector.follow(stop=lambda: time.monotonic() > deadline):
        busy += report.seconds
        now = time.time()
        while not commits.empty():
            marker, at, count = commits.get()
            committed[marker] = at
            events += count
        with runtime.db.session() as session:
            found = session.scalars(
                select(AlertEvent.event_id).join(Alert, Alert.id == AlertEvent.alert_id)
                .where(AlertEvent.event_id.like("attack-%"))
            ).all()  # fmt: skip
        for event_id in found:
            if event_id not in seen and event_id in committed:
                seen.add(event_id)
                latencies.append(now - committed[event_id])
    stop.set()
    writer.join(timeout=30)
    detector.detector.close()
    rate = events / args.seconds
    print(f"{events:,} events committed ({rate:,.0f}/s achieved, {args.rate:,}/s asked) over {args.seconds} s, "
          f"{len(rules.rules)} rules; detector busy {busy:.1f} s of {args.seconds} s")  # fmt: skip
    if latencies:
        print(f"ingest (lake commit) to alert: p50 {np.percentile(latencies, 50):.2f} s, "
              f"p95 {np.percentile(latencies, 95):.2f} s, max {max(latencies):.2f} s "
              f"({len(latencies)} alerts)")  # fmt: skip
    else:
        print("no alert arrived")


if __name__ == "__main__":
    main()
