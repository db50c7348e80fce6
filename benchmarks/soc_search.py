"""Search latency over the lake: a field filter over N million events, p50/p95.

    python benchmarks/soc_search.py --events 10000000

Events are written straight into the lake's layout (23 wards × 14 days × 4 classes,
compacted: one file per partition), then the same queries the API runs are timed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rengo.core.wards import ward_codes
from rengo.soc.lake import Lake, _write_parquet, events_table
from rengo.soc.search import EventQuery, search_events


def fill(lake: Lake, total: int, now: datetime) -> None:
    wards = sorted(ward_codes())
    classes = (3002, 4001, 4002, 1007)
    per_partition = max(total // (len(wards) * 14 * len(classes)), 1)
    rng = random.Random(7)
    for ward in wards:
        for day in range(14):
            base = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
            for class_uid in classes:
                times = sorted(
                    base + timedelta(seconds=rng.randint(0, 86399)) for _ in range(per_partition)
                )
                events = [
                    {
                        "event_id": f"{ward}{day}{class_uid}{n}",
                        "time": t,
                        "ward": ward,
                        "origin": "demo",
                        "class_uid": class_uid,
                        "src_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                        "user_name": f"user{rng.randint(1, 5000)}",
                        "message": "x",
                        "ingest_seq": 1,
                    }
                    for n, t in enumerate(times)
                ]
                folder = lake.events_dir / f"class_uid={class_uid}/ward={ward}/day={base.date()}"
                _write_parquet(events_table(events), folder / "c-1-bench.parquet")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        lake = Lake(Path(tmp))
        started = time.perf_counter()
        fill(lake, args.events, now)
        print(f"wrote {args.events:,} events in {time.perf_counter() - started:.0f} s")
        queries = {
            "src_ip filter, 14 days, all wards": EventQuery(
                now - timedelta(days=14), now, filters={"src_ip": "10.1.2.3"}
            ),
            "user filter, 14 days, one ward": EventQuery(
                now - timedelta(days=14),
                now,
                wards=frozenset({"131016"}),
                filters={"user_name": "user42"},
            ),
            "latest page, 24 h, all wards": EventQuery(now - timedelta(hours=24), now),
        }
        for name, query in queries.items():
            timings = []
            for _ in range(args.runs):
                t = time.perf_counter()
                search_events(lake, query)
                timings.append((time.perf_counter() - t) * 1000)
            timings.sort()
            p95 = timings[int(0.95 * (len(timings) - 1))]
            print(f"{name}: p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
