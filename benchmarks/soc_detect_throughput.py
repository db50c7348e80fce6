"""Benchmark 2: detection throughput over synthetic normalised events of 23 wards.

    .venv/bin/python benchmarks/soc_detect_throughput.py [--events 10000000] [--batch 500000]

Rules: every SigmaHQ Windows rule (../shared/data/sigma) plus rengo's municipal pack.
The events are generated first into Parquet files (as the lake stores them, zstd, ten
row groups per file; not timed), then read back file by file and run through the
detector (timed): each process reads the row groups it evaluates
(``Detector.run_parts``). Prints events/s overall and per file (p50/p5), CPU per
process, detections, peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import shared_data_dir

from rengo.soc.detect.detector import Detector
from rengo.soc.detect.parquet_input import parquet_parts
from rengo.soc.detect.rules import load_rules
from soc_detect_synthetic import batches

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=500_000)
    parser.add_argument("--workers", type=int, default=2, help="processes evaluating rules")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out" / "soc-detect")
    args = parser.parse_args()
    shared = shared_data_dir()
    if shared is None:
        sys.exit("../shared/data is absent: the SigmaHQ rules are needed")
    sigma = shared / "sigma"
    started = time.perf_counter()
    rules = load_rules(
        [
            sigma / "rules" / "windows",
            sigma / "rules-emerging-threats",
            sigma / "rules-threat-hunting" / "windows",
        ],
        include_builtin=True,
        placeholders={"segment_mynumber": ["10.10.*"], "segment_lgwan": ["10.20.*"]},
        cache_dir=args.work / "rule-cache",
    )
    print(
        f"rules: {len(rules.rules)} ({len(rules.unsupported)} not convertible), loaded in "
        f"{time.perf_counter() - started:.1f} s"
    )

    data = args.work / f"events-{args.events}-{args.batch}-rg10"
    if not (data / "done").exists():
        data.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        for index, table in enumerate(batches(args.events, args.batch)):
            path = data / f"part-{index:04d}.parquet"
            pq.write_table(table, path, compression="zstd", row_group_size=-(-args.batch // 10))
        (data / "done").write_text("ok")
        print(
            f"generated {args.events:,} events in {time.perf_counter() - t:.1f} s (not timed below)"
        )

    detector = Detector(rules, workers=args.workers, cache_dir=args.work / "rule-cache")
    # The calling process also builds detections and correlates (about a tenth of the
    # work here): it reads and evaluates a little less than an equal share.
    share = 0.9 / args.workers
    per_batch, total_events, total_detections = [], 0, 0
    cpu = time.process_time()
    wall = time.perf_counter()
    for path in sorted(data.glob("part-*.parquet")):
        rows = pq.ParquetFile(path).metadata.num_rows
        t = time.perf_counter()
        found = detector.run_parts(parquet_parts(path, args.workers, first_share=share))
        per_batch.append(rows / (time.perf_counter() - t))
        total_events += rows
        total_detections += len(found)
    found = detector.flush()
    total_detections += len(found)
    seconds = time.perf_counter() - wall
    main_cpu = time.process_time() - cpu
    detector.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = children.ru_utime + children.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events: {total_events:,} in {seconds:.1f} s (Parquet reading included)")
    print(
        f"throughput: {total_events / seconds:,.0f} events/s overall; per batch p50 "
        f"{np.percentile(per_batch, 50):,.0f}, p5 {np.percentile(per_batch, 5):,.0f} events/s"
    )
    print(f"detections: {total_detections:,}; peak memory {peak:,.0f} MiB (main process)")
    busy = main_cpu + worker_cpu
    print(
        f"CPU: {main_cpu:.1f} s main + {worker_cpu:.1f} s workers = {total_events / busy:,.0f} "
        "events per "
        f"CPU-second; on {args.workers} otherwise idle cores that is "
        f"{args.workers * total_events / busy:,.0f} events/s at most"
    )


if __name__ == "__main__":
    main()
