"""Ingest through NATS JetStream: events/s stored end to end with 1 and 2 lake writers.

    RENGO_NATS_URL=nats://127.0.0.1:4222 .venv/bin/python benchmarks/soc_nats_ingest.py \
        [--events 200000] [--per-batch 500] [--senders 4] [--writers 1 2]

For each writer count: a fresh stream and lake; W ``rengo soc writer`` processes are
started; S sender threads publish batches of syslog records (FortiGate traffic lines, as
the syslog listener or the HTTP API would) through ``NatsIntake`` — each ``accept``
returns once JetStream acknowledged storing the batch, and its latency is recorded; the
clock stops when the lake's commits hold every event. The lake is then counted with
DuckDB (events and distinct event ids must both equal the events sent: zero loss, zero
doubles). Prints events/s stored, publish p50/p95 latency, the writers' CPU seconds and
the load average before and after (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import nats  # noqa: E402

from rengo.core.storage import DataDir  # noqa: E402
from rengo.soc.lake import Lake  # noqa: E402
from rengo.soc.nats_bus import NatsIntake  # noqa: E402
from rengo.soc.service import DOMAIN, limits_of  # noqa: E402
from rengo.soc.settings import SocSettings  # noqa: E402
from rengo.soc.spool import Batch  # noqa: E402

WARDS = ["131016", "131024", "131032", "131041"]


def records(batch: int, count: int) -> list[bytes]:
    out = []
    for n in range(count):
        minute, second = batch % 60, n % 60
        out.append(
            b"<189>1 2026-12-07T10:%02d:%02d.000Z fw01 - - - - date=2026-12-07 "
            b'time=10:%02d:%02d devname="fw01" type="traffic" subtype="forward" '
            b"srcip=10.16.%d.%d srcport=%d dstip=203.0.113.%d dstport=443 proto=6 "
            b"action=accept sentbyte=%d rcvdbyte=%d"
            % (minute, second, minute, second, batch % 250, n % 250, 1024 + n, n % 250, n, batch)
        )
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: argparse.Namespace, writers: int) -> dict[str, float]:
    name = f"BENCH_{uuid.uuid4().hex[:10].upper()}"
    settings = SocSettings(
        nats_url=args.url,
        nats_stream=name,
        nats_subject_prefix=f"bench.{name.lower()}",
        nats_durable=f"bench-{name.lower()}",
    )
    data_dir = Path(tempfile.mkdtemp(prefix="rengo-bench-nats-")) / "data"
    lake = Lake(DataDir(data_dir).ensure().lake(DOMAIN))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "RENGO_NATS_URL": args.url,
        "RENGO_SOC__NATS_STREAM": name,
        "RENGO_SOC__NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
        "RENGO_SOC__NATS_DURABLE": settings.nats_durable,
    }
    intake = NatsIntake(settings, limits_of(settings))
    intake.accept([Batch(WARDS[0], "bench", "syslog", records(0, 1))], 10)  # the stream
    processes = []
    command = [sys.executable, "-m", "rengo", "soc", "writer", "--fetch", str(args.fetch)]
    for _ in range(writers):
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            env=env,
            stdout=subprocess.PIPE,
        )
        assert process.stdout is not None
        process.stdout.readline()  # ready
        processes.append(process)
    while sum(c.events for c in lake.commits()) < 1:
        time.sleep(0.05)
    batches = args.events // args.per_batch
    latencies: list[float] = []
    lock = threading.Lock()
    next_batch = iter(range(1, batches + 1))

    def send() -> None:
        while True:
            with lock:
                n = next(next_batch, None)
            if n is None:
                return
            batch = Batch(WARDS[n % len(WARDS)], f"syslog:10.0.0.{n % 8}", "syslog", [])
            batch.records = records(n, args.per_batch)
            began = time.perf_counter()
            intake.accept([batch], 30)
            with lock:
                latencies.append(time.perf_counter() - began)

    load_before = os.getloadavg()
    cpu_before = [cpu_seconds(p.pid) for p in processes]
    expected = 1 + batches * args.per_batch
    started = time.perf_counter()
    senders = [threading.Thread(target=send) for _ in range(args.senders)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    published = time.perf_counter() - started
    while sum(c.events for c in lake.commits()) < expected:
        time.sleep(0.02)
        if time.perf_counter() - started > 1800:
            raise SystemExit("not stored within 30 minutes")
    elapsed = time.perf_counter() - started
    cpu = sum(cpu_seconds(p.pid) for p in processes) - sum(cpu_before)
    load_after = os.getloadavg()
    for process in processes:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    intake.close()
    cursor = lake.connect()
    stored, distinct = cursor.execute(
        f"SELECT count(*), count(DISTINCT event_id) FROM {lake.events_source()}"
    ).fetchone() or (0, 0)

    async def delete() -> None:
        client = await nats.connect(args.url)
        await client.jetstream().delete_stream(name)
        await client.close()

    asyncio.run(delete())
    lake_bytes = sum(f.stat().st_size for f in lake.events_dir.rglob("*.parquet"))
    latencies.sort()
    return {
        "writers": writers,
        "events": expected,
        "stored": stored,
        "distinct": distinct,
        "seconds": elapsed,
        "events_per_s": (expected - 1) / elapsed,
        "publish_events_per_s": (expected - 1) / published,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "writer_cpu_s": cpu,
        "bytes_per_event": lake_bytes / max(stored, 1),
        "load_before": load_before[0],
        "load_after": load_after[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("RENGO_NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--per-batch", type=int, default=500)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--fetch", type=int, default=64)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for writers in args.writers:
        result = run(args, writers)
        lost = result["events"] - result["stored"]
        doubled = result["stored"] - result["distinct"]
        print(
            f"{writers} writer(s): {result['events']:,} events stored in {result['seconds']:.1f} s"
            f" = {result['events_per_s']:,.0f} events/s end to end (published at "
            f"{result['publish_events_per_s']:,.0f}/s); lost {lost}, doubled {doubled}; "
            f"publish ack p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms; "
            f"writers' CPU {result['writer_cpu_s']:.1f} s "
            f"({(result['events'] - 1) / max(result['writer_cpu_s'], 1e-9):,.0f} events per "
            f"CPU-second); lake {result['bytes_per_event']:.0f} bytes/event before compaction; "
            f"load {result['load_before']:.1f} -> {result['load_after']:.1f}",
            flush=True,
        )
        if lost or doubled:
            raise SystemExit("loss or doubles")


if __name__ == "__main__":
    main()
