"""Ingest-to-alert latency at a sustained 10,000 events/s through the real pipeline.

    .venv/bin/python benchmarks/soc_detect_latency.py [--seconds 60] [--rate 10000] [--sigma]

Starts ``rengo serve`` (a separate process, as in production) on a fresh data directory
with ``detect.follow_with_serve``; a sender posts NDJSON batches of realistic events of
23 wards to ``POST /api/v1/soc/ingest`` at ``--rate`` events/s (one batch every
``--batch-seconds``), each batch with one shadow-copy deletion on a host named after the
batch (a rule of the municipal pack). Inside the server: HTTP → spool (fsync) → lake
writer → lake commit → incremental detector → alert queue. The sender polls
``GET /api/v1/soc/alerts`` and records when each batch's alert appears.

Prints the rate achieved, ingest (HTTP acceptance) → alert latency p50/p95/max, the
alerts missing at the end, the server's CPU, and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers import free_port, shared_data_dir  # noqa: E402

from rengo.core.settings import load_settings  # noqa: E402

ATTACK = "C:\\Windows\\System32\\vssadmin.exe delete shadows /all /quiet"
WARDS = ["131016", "131024", "131032", "131041", "131059"]
PROCESSES = [
    ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p"),
    ("C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        '"EXCEL.EXE" "\\\\fs01\\share\\予算.xlsx"',
    ),
]


def event(n: int, now: str) -> dict[str, object]:
    """Everyday traffic: firewall flows, logons and process starts."""
    kind = n % 3
    if kind == 0:
        return {
            "time": now,
            "class_uid": 4001,
            "src_ip": f"10.{n % 23}.{n % 250}.{n % 200 + 1}",
            "dst_ip": "203.0.113.10",
            "dst_port": 443,
            "action": "accept",
            "protocol": "tcp",
            "device_hostname": "fw01",
        }
    if kind == 1:
        return {
            "time": now,
            "class_uid": 3002,
            "user_name": f"staff{n % 500}",
            "status_id": 1,
            "src_ip": f"10.{n % 23}.1.{n % 200 + 1}",
            "device_hostname": "dc01",
            "logon_type": "Network",
        }
    image, command = PROCESSES[n % len(PROCESSES)]
    return {
        "time": now,
        "class_uid": 1007,
        "process_path": image,
        "process_cmd_line": command,
        "device_hostname": f"pc{n % 300}",
        "user_name": f"staff{n % 500}",
    }


def batch_body(number: int, size: int) -> bytes:
    now = datetime.now(UTC).isoformat()
    rows = [event(number * size + i, now) for i in range(size - 1)]
    rows.append(
        {
            "time": now,
            "class_uid": 1007,
            "process_cmd_line": ATTACK,
            "process_path": "C:\\Windows\\System32\\vssadmin.exe",
            "device_hostname": f"srv-{number}",
        }
    )
    return b"\n".join(orjson.dumps(r) for r in rows)


def prepare(data: Path, sigma: bool) -> tuple[dict[str, str], str]:
    """Environment of the server, and a ward token (database migrated, rules compiled)."""
    env = dict(
        os.environ,
        RENGO_DATA_DIR=str(data),
        RENGO_DETECT__FOLLOW_WITH_SERVE="true",
        RENGO_DETECT__POLL_SECONDS="1",
        RENGO_SECRET_KEY="bench",
    )
    shared = shared_data_dir()
    if sigma and shared is not None:
        folders = [
            shared / "sigma" / "rules" / "windows",
            shared / "sigma" / "rules-emerging-threats",
            shared / "sigma" / "rules-threat-hunting" / "windows",
        ]
        env["RENGO_DETECT__RULE_FOLDERS"] = orjson.dumps([str(f) for f in folders]).decode()
    rengo = str(ROOT / ".venv" / "bin" / "rengo")
    subprocess.run([rengo, "db", "upgrade"], env=env, check=True, capture_output=True)
    # Compile the rules into the data directory's cache now, as an earlier run would have.
    subprocess.run(
        [
            rengo,
            "soc",
            "detect",
            "--since",
            "2000-01-01T00:00:00Z",
            "--until",
            "2000-01-02T00:00:00Z",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    token = (
        subprocess.run(
            [rengo, "token", "create", "--ward", WARDS[0], "--role", "admin"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    return env, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--batch-seconds", type=float, default=0.5)
    parser.add_argument("--sigma", action="store_true", help="also every SigmaHQ Windows rule")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rengo-latency-"))
    env, token = prepare(data, args.sigma)
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "rengo"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data / "serve.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    client = httpx.Client(base_url=base, headers=headers, timeout=30)
    for _ in range(600):
        try:
            if client.get("/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as poller:
            while not stop.is_set() or len(seen_at) < len(sent_at):
                page = poller.get(
                    "/api/v1/soc/alerts", params={"rule": "Shadow copies", "per_page": 500}
                )
                now = time.time()
                for alert in page.json()["items"]:
                    seen_at.setdefault(alert["host"], now)
                if stop.wait(0.25) and time.time() > deadline + 120:
                    return

    per_batch = int(args.rate * args.batch_seconds)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    deadline = time.time() + args.seconds
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    events, number, busy = 0, 0, 0
    while time.monotonic() - started < args.seconds:
        body = batch_body(number, per_batch)
        response = client.post(
            "/api/v1/soc/ingest",
            params={"format": "json"},
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        if response.status_code == 503:
            busy += 1
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        response.raise_for_status()
        sent_at[f"srv-{number}"] = time.time()
        events += per_batch
        number += 1
        time.sleep(max(0.0, started + number * args.batch_seconds - time.monotonic()))
    sending = time.monotonic() - started
    stop.set()
    poller.join(timeout=180)
    server.send_signal(signal.SIGINT)
    server.wait(timeout=60)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies = [seen_at[h] - t for h, t in sent_at.items() if h in seen_at]
    print(
        f"load average (1 min) at the start {load_before:.2f}, at the end {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{events:,} events sent over HTTP in {sending:.1f} s = {events / sending:,.0f} events/s "
        f"(asked {args.rate:,}/s; {busy} answers 503); "
        f"rules: {'SigmaHQ Windows + ' if args.sigma else ''}municipal pack"
    )
    if latencies:
        print(
            f"HTTP accepted -> alert in the queue: p50 {np.percentile(latencies, 50):.1f} s, "
            f"p95 {np.percentile(latencies, 95):.1f} s, max {max(latencies):.1f} s "
            f"({len(latencies)} of {len(sent_at)} batches' alerts seen)"
        )
    else:
        print("no alert arrived")
    print(
        f"server CPU (serve + detection workers): {cpu.ru_utime + cpu.ru_stime:.1f} s "
        f"over {sending:.0f} s"
    )
    settings = load_settings(data_dir=data)
    print(f"data directory {settings.data_dir}")


if __name__ == "__main__":
    main()
