"""Search latency over the lake: field filters, newest page and free text over N million events.

    python benchmarks/soc_search.py --events 10000000 --runs 20
    python benchmarks/soc_search.py --events 10000000 --lake /tmp/bench-lake   # keep / reuse

Events are written straight into the lake's layout (23 wards × 14 days × 4 classes, one
time-sorted file per partition), shaped like firewall, proxy, logon and process events
with a raw record of ~250 bytes; then ``compact`` merges the 13 past days into one file
each, as the lake writer does after midnight (today stays 92 partition files); then the
queries the event search page and API run are timed in one ``Lake`` (as in a server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rengo.core.wards import ward_codes
from rengo.soc.lake import Lake
from rengo.soc.lake_files import compacted_options, write_parquet
from rengo.soc.maintenance import compact
from rengo.soc.schema import CLASSES, EVENT_SCHEMA
from rengo.soc.search import EventQuery, search_events
from rengo.soc.stats import collect_stats
from rengo.web.pages.soc_events import LIST_COLUMNS

CLASS_SHAPES = {3002: "auth", 4001: "traffic", 4002: "proxy", 1007: "process"}
RARE_WORD = "mimikatz"


class Pools:
    """Values drawn by index (Arrow ``take``), so that 10 M rows are made in C++, not Python."""

    def __init__(self, rng: np.random.Generator) -> None:
        octets = rng.integers(0, 256, (1_000_000, 3)).tolist()
        self.src = pa.array([f"10.{a}.{b}.{c}" for a, b, c in octets])
        self.dst = pa.array([f"192.0.{a}.{b}" for a, b, _ in octets[:65_536]])
        self.users = pa.array([f"user{u}" for u in range(1, 5001)])
        self.hosts = pa.array([f"pc-{h}" for h in range(1, 2001)])
        self.actions = pa.array(["allowed"] * 9 + ["blocked"])


def _partition(
    rng: np.random.Generator, pools: Pools, ward: str, start: datetime, class_uid: int, n: int
) -> pa.Table:
    def pick(pool: pa.Array) -> pa.Array:
        return pool.take(pa.array(rng.integers(0, len(pool), n)))

    def const(value: object, type_: pa.DataType = pa.string()) -> pa.Array:
        return pa.array([value] * n, type=type_)

    micros = np.sort(rng.integers(0, 86_400_000_000, n)) + int(start.timestamp() * 1_000_000)
    src, dst, user, host, action = (
        pick(p) for p in (pools.src, pools.dst, pools.users, pools.hosts, pools.actions)
    )
    rare = pc.if_else(pa.array(rng.random(n) < 0.00002), f" {RARE_WORD}", "")
    shape = CLASS_SHAPES[class_uid]
    message = pc.binary_join_element_wise(shape, action, src, "->", dst, user, " ")
    message = pc.binary_join_element_wise(message, rare, "")
    raw = pc.binary_join_element_wise(
        f'date={start:%Y-%m-%d} devname="fw-{ward}" type="{shape}" srcip=',
        src,
        " dstip=",
        dst,
        ' user="',
        user,
        '" host="',
        host,
        '" action="',
        action,
        '" msg="',
        message,
        '" sentbyte=1234 rcvdbyte=5678',
        "",
    )
    prefix = f"{ward}-{start:%Y%m%d}-{class_uid}-"
    event_id = pc.binary_join_element_wise(prefix, pa.array(np.arange(n)).cast(pa.string()), "")
    values = {
        "event_id": event_id,
        "time": pa.array(micros, pa.timestamp("us", tz="UTC")),
        "ward": const(ward),
        "origin": const("demo"),
        "source": const(f"fw-{ward}"),
        "format": const("fortigate"),
        "class_uid": const(class_uid, pa.int32()),
        "class_name": const(CLASSES[class_uid]),
        "message": message,
        "device_hostname": host,
        "user_name": user,
        "src_ip": src,
        "dst_ip": dst,
        "action": action,
        "raw": raw,
        "ingest_seq": const(1, pa.int64()),
    }
    columns = [values[f.name] if f.name in values else pa.nulls(n, f.type) for f in EVENT_SCHEMA]
    return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)


def fill(lake: Lake, total: int, now: datetime) -> None:
    wards = sorted(ward_codes())
    per_partition = max(total // (len(wards) * 14 * len(CLASS_SHAPES)), 1)
    rng = np.random.default_rng(7)
    pools = Pools(rng)
    for ward in wards:
        for day in range(14):
            start = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
            for class_uid in CLASS_SHAPES:
                table = _partition(rng, pools, ward, start, class_uid, per_partition)
                folder = lake.events_dir / f"class_uid={class_uid}/ward={ward}/day={start.date()}"
                write_parquet(
                    table, folder / f"c-{1:020d}-bench.parquet", compacted_options(table.num_rows)
                )
    (lake.root / "head.json").write_text('{"position": 1}')
    started = time.perf_counter()
    report = compact(lake, min_files=2, today=now.date())
    print(
        f"compacted {report.files_before:,} partition files of past days into "
        f"{report.files_after} day files in {time.perf_counter() - started:.0f} s"
    )


def queries(now: datetime) -> dict[str, EventQuery]:
    """As the search page runs them (the listed columns), and two as the API does (every
    column, ``raw`` and ``unmapped`` included)."""
    fortnight = now - timedelta(days=14)
    page = {"columns": LIST_COLUMNS}
    return {
        "src_ip filter, 14 days, all wards": EventQuery(
            fortnight, now, filters={"src_ip": "10.1.2.3"}, **page
        ),
        "user filter, 14 days, one ward": EventQuery(
            fortnight, now, wards=frozenset({"131016"}), filters={"user_name": "user42"}, **page
        ),
        "newest page, 24 h, all wards": EventQuery(now - timedelta(hours=24), now, **page),
        "free text (common word), 14 days": EventQuery(fortnight, now, text="blocked", **page),
        "free text (rare word), 14 days": EventQuery(fortnight, now, text=RARE_WORD, **page),
        "API, src_ip filter, all columns": EventQuery(
            fortnight, now, filters={"src_ip": "10.1.2.3"}
        ),
        "API, newest page 24 h, all columns": EventQuery(now - timedelta(hours=24), now),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lake", type=Path, help="keep the lake here (reused if it exists)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.lake or Path(tmp)
        stamp = root / "bench-now.txt"
        if stamp.exists():
            now = datetime.fromisoformat(stamp.read_text())
        else:
            now = datetime.now(UTC)
            started = time.perf_counter()
            fill(Lake(root), args.events, now)
            stamp.write_text(now.isoformat())
            print(f"wrote {args.events:,} events in {time.perf_counter() - started:.0f} s")
        files = sum(1 for _ in (root / "events").rglob("*.parquet"))
        print(f"{files:,} files; load average {os.getloadavg()[0]:.1f}")
        lake = Lake(root)
        for name, query in queries(now).items():
            timings, found = [], 0
            for _ in range(args.runs):
                t = time.perf_counter()
                found = len(search_events(lake, query).items)
                timings.append((time.perf_counter() - t) * 1000)
            timings.sort()
            p95 = timings[round(0.95 * (len(timings) - 1))]
            print(
                f"{name}: p50 {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms, "
                f"max {timings[-1]:.0f} ms, {found} events on the page"
            )
        timings = []
        for _ in range(max(3, args.runs // 4)):
            t = time.perf_counter()
            collect_stats(lake, wards=None, now=now, days=14)
            timings.append((time.perf_counter() - t) * 1000)
        print(
            f"collection status (counts per ward, class, source, day; 14 days): "
            f"p50 {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms"
        )
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
