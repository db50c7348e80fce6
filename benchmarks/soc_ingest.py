"""Ingest throughput into the lake, sustained, with zero loss (count in = count stored).

    python benchmarks/soc_ingest.py --mode syslog-tcp --seconds 300
    python benchmarks/soc_ingest.py --mode http-ndjson --seconds 300
    python benchmarks/soc_ingest.py --mode evtx --repeat 5

A sender process pushes FortiGate/Squid/sshd lines as fast as the receiver takes them
(over a real TCP socket or real HTTP requests to uvicorn); the receiver spools, parses
and stores them in Parquet. Prints events/s received and stored, peak RSS, and checks
that the lake holds exactly as many events as were sent.

``--mode evtx`` reads ../shared/data/evtx/ (EVTX-ATTACK-SAMPLES) ``--repeat`` times:
first with the ``evtx`` package alone, then through ``rengo soc ingest``'s path
(read, spool, parse, store) in-process, then once as the real command; the records
stored must equal the records read.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import socket
import tempfile
import time
from pathlib import Path

LINES = [
    b'<134>1 2026-05-01T10:00:00Z fw01 - - - - date=2026-05-01 time=10:00:00 devname="FGT" '
    b'devid="FGT60F" logid="0000000013" type="traffic" subtype="forward" level="notice" '
    b'srcip=10.16.1.%d srcport=51234 dstip=93.184.216.34 dstport=443 proto=6 action="accept" '
    b"sentbyte=120 rcvdbyte=4000",
    b"<38>1 2026-05-01T10:00:01Z web01 sshd 99 - - Failed password for root from 203.0.113.%d "
    b"port 2222 ssh2",
    b"<134>1 2026-05-01T10:00:02Z proxy1 squid - - - 1777629602.123 5 10.0.0.%d TCP_MISS/200 100 "
    b"GET http://a.example/ - HIER_DIRECT/1.2.3.4 text/html",
]


SPOOL_MAX_BYTES = 256 << 20
"""Back-pressure starts this far behind (1 GiB by default): the backlog left when the
sender stops, stored before the clock stops, stays a small part of the run."""


def tcp_sender(port: int, seconds: float, counter: multiprocessing.Value) -> None:  # type: ignore[type-arg]
    payload = b"".join(
        (line % (n % 250)) + b"\n" for n in range(3000) for line in LINES[n % 3 : n % 3 + 1]
    )
    per_payload = payload.count(b"\n")
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sock.sendall(payload)
            sent += per_payload
    counter.value = sent


def http_sender(port: int, token: str, seconds: float, counter: multiprocessing.Value) -> None:  # type: ignore[type-arg]
    import httpx

    body = b"\n".join(
        (LINES[n % 3] % (n % 250)).split(b" ", 1)[1].join([b'{"message":"', b'"}'])
        for n in range(5000)
    )
    per_body = body.count(b"\n") + 1
    sent = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r = client.post(
                "/api/v1/soc/ingest",
                content=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/x-ndjson",
                },
            )
            if r.status_code == 200:
                sent += per_body
            elif r.status_code == 503:
                time.sleep(float(r.headers.get("Retry-After", "1")) / 5)
            else:
                raise SystemExit(f"HTTP {r.status_code}: {r.text[:200]}")
    counter.value = sent


def count_stored(store) -> int:  # type: ignore[no-untyped-def]
    """Rows in the lake's Parquet files (events and quarantine), not what commits claim."""
    connection = store.lake.connect()
    total = 0
    for source in (store.lake.events_source(), store.lake.quarantine_source()):
        if source is not None:
            total += connection.sql(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    connection.close()
    return total


def run_syslog(seconds: float, data: Path) -> tuple[int, int, float, float]:
    from rengo.core.storage import DataDir
    from rengo.soc.service import SocStore
    from rengo.soc.settings import SocSettings
    from rengo.soc.syslog_server import ListenerThread, SyslogListener
    from rengo.soc.wardmap import WardMap

    store = SocStore.open(DataDir(data).ensure(), SocSettings(spool_max_bytes=SPOOL_MAX_BYTES))
    store.start_writer()
    listener = SyslogListener(store=store, ward_map=WardMap.parse("127.0.0.0/8 131016"), tcp_port=0)
    thread = ListenerThread(listener)
    thread.start()
    counter = multiprocessing.Value("q", 0)
    started = time.monotonic()
    sender = multiprocessing.Process(
        target=tcp_sender, args=(listener.bound["tcp"], seconds, counter)
    )
    sender.start()
    sender.join()
    received_at = time.monotonic() - started
    wait_until = time.monotonic() + 1800  # the listener reads what the sender left in the socket
    while listener.counters.received < counter.value and time.monotonic() < wait_until:
        time.sleep(0.1)
    thread.stop()
    store.wait_stored(store.spool.end(), timeout=1200)
    stored_at = time.monotonic() - started
    stored = count_stored(store)
    store.stop_writer()
    return counter.value, stored, received_at, stored_at


def run_http(seconds: float, data: Path) -> tuple[int, int, float, float]:
    import threading

    import uvicorn

    from rengo.core.identity import create_token
    from rengo.core.runtime import Runtime
    from rengo.core.settings import load_settings
    from rengo.core.tenancy import sync_tenants
    from rengo.migrations import upgrade
    from rengo.soc.service import store_for
    from rengo.soc.settings import SocSettings
    from rengo.web.app import create_app

    settings = load_settings(data_dir=data, soc={"spool_max_bytes": SPOOL_MAX_BYTES})
    data.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url())
    runtime = Runtime.from_settings(settings)
    with runtime.db.session() as session:
        sync_tenants(session)
        _token, secret = create_token(session, tenant="131016", role="ward_it", name="bench")
    app = create_app(runtime)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    counter = multiprocessing.Value("q", 0)
    started = time.monotonic()
    sender = multiprocessing.Process(target=http_sender, args=(port, secret, seconds, counter))
    sender.start()
    sender.join()
    received_at = time.monotonic() - started
    store = store_for(runtime.data_dir, settings.section(SocSettings))
    store.wait_stored(store.spool.end(), timeout=1200)
    stored_at = time.monotonic() - started
    server.should_exit = True
    store.stop_writer()  # before the temporary folder goes
    return counter.value, count_stored(store), received_at, stored_at


def evtx_folder() -> Path:
    for base in (
        Path(__file__).resolve().parents[2] / "shared" / "data",
        Path("/work/shared/data"),
    ):
        if (base / "evtx").is_dir():
            return base / "evtx"
    raise SystemExit("../shared/data/evtx is absent")


def run_evtx(repeat: int, data: Path) -> None:
    import subprocess
    import sys

    from rengo.core.storage import DataDir
    from rengo.soc.files import find_files, ingest_files
    from rengo.soc.parsers.evtx_file import read_evtx
    from rengo.soc.service import SocStore
    from rengo.soc.settings import SocSettings

    folder = evtx_folder()
    files = [f for f in find_files([folder]) if f.suffix.lower() == ".evtx"]
    started = time.perf_counter()
    records = 0
    for _ in range(repeat):
        for path in files:
            records += sum(1 for r in read_evtx(path) if r.json is not None)
    package_s = time.perf_counter() - started
    print(
        f"evtx package alone: {records:,} records in {package_s:.1f} s "
        f"= {records / package_s:,.0f} records/s"
    )
    from datetime import UTC, datetime

    from rengo.soc.parsers import ParseError, parse_record

    started = time.perf_counter()
    parsed = 0
    now = datetime.now(UTC)
    for _ in range(repeat):  # read and map to OCSF, one process, nothing stored
        for path in files:
            for r in read_evtx(path):
                if r.json is not None:
                    try:
                        parse_record("evtx", r.json, now)
                        parsed += 1
                    except ParseError:
                        pass
    parse_s = time.perf_counter() - started
    print(
        f"read + map to OCSF (one process, not stored): {parsed:,} records in {parse_s:.1f} s "
        f"= {parsed / parse_s:,.0f} records/s"
    )

    store = SocStore.open(DataDir(data).ensure(), SocSettings())
    started = time.perf_counter()
    for n in range(repeat):  # as `rengo soc ingest` does: spool every file, then store
        ingest_files(store, "131016", [folder], force=n > 0)
    assert store.writer.acquire()
    store.writer.drain()
    path_s = time.perf_counter() - started
    stored = count_stored(store)
    store.writer.release()
    print(
        f"rengo soc ingest path: {stored:,} records stored in {path_s:.1f} s "
        f"= {stored / path_s:,.0f} records/s"
    )
    if stored < records:
        raise SystemExit(f"LOSS: {records - stored} records read but not stored")

    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rengo",
            "soc",
            "ingest",
            "--ward",
            "131016",
            str(folder),
            "--data-dir",
            str(data.parent / "cli"),
        ],
        check=True,
        capture_output=True,
    )
    command_s = time.perf_counter() - started
    once = records // repeat
    print(
        f"the command, once (process start included): {command_s:.1f} s = {once / command_s:,.0f} "
        "records/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--mode", choices=["syslog-tcp", "http-ndjson", "evtx"], default="syslog-tcp"
    )
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--repeat", type=int, default=5, help="evtx: times the folder is read")
    parser.add_argument("--keep", type=Path, help="data directory to keep (default: temporary)")
    args = parser.parse_args()
    if args.mode == "evtx":
        with tempfile.TemporaryDirectory() as tmp:
            run_evtx(args.repeat, Path(tmp) / "data")
        return
    with tempfile.TemporaryDirectory() as tmp:
        run = run_syslog if args.mode == "syslog-tcp" else run_http
        sent, stored, received_at, stored_at = run(args.seconds, args.keep or Path(tmp) / "data")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"mode={args.mode} seconds={args.seconds:.0f}")
    print(f"sent={sent} stored={stored} loss={sent - stored}")
    print(
        f"accepted: {sent / received_at:,.0f} events/s; stored end to "
        f"end: {stored / stored_at:,.0f} events/s"
    )
    print(f"peak RSS {peak_mb:,.0f} MiB")
    if sent != stored:
        raise SystemExit("LOSS: stored count differs from sent count")


if __name__ == "__main__":
    main()
