"""kill -9 during ingest loses and duplicates nothing once the writer restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rengo.core.storage import DataDir
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


def run_and_kill(data_dir: Path, start: int, after: float) -> int:
    """Start the child, kill -9 it ``after`` seconds after its first acknowledgement.

    The clock starts at the first acknowledgement, not at the start, so that a slow
    start (a busy machine importing the package) still leaves the kill mid-ingest.
    Returns the last acknowledged number.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.soc.crash_child", str(data_dir), str(start)],
        cwd=REPO,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    os.set_blocking(child.stdout.fileno(), False)
    acknowledged = start - 1
    deadline = time.monotonic() + STARTUP_SECONDS
    buffer = b""
    started = False
    while time.monotonic() < deadline:
        buffer += child.stdout.read() or b""
        if not started and b"\n" in buffer:
            started = True
            deadline = time.monotonic() + after
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    buffer += child.stdout.read() or b""
    numbers = [int(line) for line in buffer.split(b"\n") if line.strip().isdigit()]
    if numbers:
        acknowledged = numbers[-1]
    return acknowledged


def test_kill_minus_nine_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    DataDir(data_dir).ensure()
    start = 0
    in_flight: set[int] = set()
    for after in (1.5, 1.1, 1.7):  # three crashes at different moments
        acknowledged = run_and_kill(data_dir, start, after)
        assert acknowledged > start, "the child acknowledged nothing before the kill"
        start = acknowledged + 1
        # The batch being sent at the kill was not acknowledged; it may or may not have
        # become durable. The next child sends it again, as a client would.
        in_flight.update(range(start, start + 100))

    store = SocStore.open(DataDir(data_dir), SocSettings(writer_chunk_bytes=64 << 10))
    assert store.writer.acquire()
    store.writer.drain()
    connection = store.lake.connect()
    source = store.lake.events_source()
    [(total, distinct_ids)] = connection.sql(
        f"SELECT count(*), count(DISTINCT event_id) FROM {source}"
    ).fetchall()
    copies = dict(connection.sql(f"SELECT message, count(*) FROM {source} GROUP BY 1").fetchall())
    stored = {int(m.removeprefix("seq ")): n for m, n in copies.items()}
    assert total == distinct_ids  # no event stored twice
    acknowledged = set(range(start)) - in_flight
    assert all(stored.get(n) == 1 for n in acknowledged)  # each acknowledged one exactly once
    assert all(n in in_flight for n, count in stored.items() if count > 1)
    store.writer.release()
