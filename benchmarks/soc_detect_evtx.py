"""Benchmark 1: EVTX-ATTACK-SAMPLES with every SigmaHQ Windows rule, rules compiled and cached.

    .venv/bin/python benchmarks/soc_detect_evtx.py [--runs 3]

Measures ``rengo soc detect --evtx …`` end to end as a user runs it (a new process:
Python start, cached rules, EVTX parsing, detection, JSON output) and, in process, the
detection alone over the already-parsed events (what the lake path costs). Prints wall
time, peak memory, rules and events matched, and the comparison with Zircolite's
published 13.8 s / 330 rules / 1,186 events on this kind of machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import shared_data_dir  # noqa: E402

from rengo.soc.detect.detector import Detector  # noqa: E402
from rengo.soc.detect.evtx_input import evtx_files, evtx_table  # noqa: E402
from rengo.soc.detect.rules import load_rules  # noqa: E402

ZIRCOLITE_SECONDS, ZIRCOLITE_RULES, ZIRCOLITE_EVENTS = 13.8, 330, 1186


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    shared = shared_data_dir()
    if shared is None:
        sys.exit("../shared/data is absent")
    sigma, samples = shared / "sigma", shared / "evtx" / "EVTX-ATTACK-SAMPLES"
    folders = [
        sigma / "rules" / "windows",
        sigma / "rules-emerging-threats",
        sigma / "rules-threat-hunting" / "windows",
    ]
    data_dir = Path(tempfile.mkdtemp(prefix="rengo-bench-evtx-"))
    command = [
        str(ROOT / ".venv" / "bin" / "rengo"),
        "soc",
        "detect",
        "--evtx",
        str(samples),
        "--no-builtin",
        "--format",
        "json",
        "--data-dir",
        str(data_dir),
    ]
    for folder in folders:
        command += ["--rules", str(folder)]

    load = os.getloadavg()
    t = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)  # compiles and caches the rules
    print(
        f"first run (compiling {len(folders)} rule folders into the "
        f"cache): {time.perf_counter() - t:.1f} s"
    )
    walls, output = [], b""
    for _ in range(args.runs):
        t = time.perf_counter()
        output = subprocess.run(command, check=True, capture_output=True).stdout
        walls.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    rules_hit = {d["rule_id"] for d in lines}
    events_hit = {e for d in lines for e in d["event_ids"]}
    best = min(walls)
    print(
        f"rengo soc detect --evtx (cached rules): best {best:.2f} s, "
        f"median {statistics.median(walls):.2f} s "
        f"over {args.runs} runs; peak memory {peak:,.0f} MiB"
    )
    print(
        f"matched {len(rules_hit)} rules, {len(events_hit)} events, {len(lines)} rule/event pairs "
        f"(Zircolite: {ZIRCOLITE_RULES} rules, {ZIRCOLITE_EVENTS} events in {ZIRCOLITE_SECONDS} "
        "s) -> "
        f"{ZIRCOLITE_SECONDS / best:.1f}x faster"
    )

    cache = data_dir / "files" / "soc" / "detect-cache"
    rules = load_rules(folders, cache_dir=cache)
    t = time.perf_counter()
    table = evtx_table(evtx_files(samples))
    parse = time.perf_counter() - t
    timings = []
    for _ in range(args.runs):
        detector = Detector(rules, cache_dir=cache)
        t = time.perf_counter()
        detector.run(table)
        detector.flush()
        timings.append(time.perf_counter() - t)
    print(
        f"in process, one process: EVTX parsing {parse:.2f} s; detection over {table.num_rows:,} "
        "events "
        f"{min(timings):.2f} s (a fresh detector with the cached prefilter)"
    )
    print(
        f"load average (1, 5 min): {os.getloadavg()[0]:.2f}, {os.getloadavg()[1]:.2f} "
        f"(at the start {load[0]:.2f}, {load[1]:.2f})"
    )


if __name__ == "__main__":
    main()
