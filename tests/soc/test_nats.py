"""Ingest through NATS JetStream and lake writers fed by it, over the real nats-server at
127.0.0.1:4222 (skipped when none answers). Each test uses its own stream, deleted after."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import nats
import orjson
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.core.storage import DataDir
from rengo.soc import service
from rengo.soc.lake import Lake
from rengo.soc.lake_shared import PENDING, SharedLake
from rengo.soc.nats_bus import NatsIntake, NatsUnavailable, fit
from rengo.soc.nats_writer import NatsWriter
from rengo.soc.schema import EVENT_SCHEMA
from rengo.soc.service import SocStore, limits_of
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch
from tests.helpers import WARD_A, WARD_B
from tests.soc.test_api import auth

REPO = Path(__file__).resolve().parents[2]
NATS_URL = "nats://127.0.0.1:4222"


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def nats_settings() -> Iterator[SocSettings]:
    """Settings naming a fresh stream on the local nats-server; the stream is deleted after."""
    if not _reachable(4222):
        pytest.skip("no nats-server with JetStream at 127.0.0.1:4222")
    name = f"TEST_{uuid.uuid4().hex[:12].upper()}"
    yield SocSettings(
        nats_url=NATS_URL,
        nats_stream=name,
        nats_subject_prefix=f"test.{name.lower()}",
        nats_durable=f"writers-{name.lower()}",
        nats_ack_wait_seconds=30.0,
        compact_every_seconds=3600,
    )

    async def delete() -> None:
        client = await nats.connect(NATS_URL)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_stream(name)
        await client.close()

    asyncio.run(delete())


@pytest.fixture
def nats_store(tmp_path: Path, nats_settings: SocSettings) -> Iterator[SocStore]:
    store = SocStore.open(DataDir(tmp_path / "data").ensure(), nats_settings)
    yield store
    assert store.intake is not None
    store.intake.close()


def lines(batch: int, count: int, ward: str = WARD_A) -> Batch:
    records = [
        b"<34>1 2026-12-07T10:%02d:%02d.000Z fw01 sshd - - - login %d.%d"
        % (batch % 60, n % 60, batch, n)
        for n in range(count)
    ]
    return Batch(ward, "syslog:10.0.0.1", "syslog", records)


def counted(lake: Lake) -> tuple[int, int]:
    """(events, distinct event ids) in the lake."""
    source = lake.events_source()
    if source is None:
        return 0, 0
    cursor = lake.connect()
    row = cursor.execute(f"SELECT count(*), count(DISTINCT event_id) FROM {source}").fetchone()
    cursor.close()
    assert row is not None
    return int(row[0]), int(row[1])


def stored_batch_ids(lake: Lake) -> list[str]:
    ids: list[str] = []
    for line in lake.log_file.read_bytes().splitlines():
        ids += orjson.loads(line).get("batches", [])
    return ids


def run_writer(writer: NatsWriter, seconds: float, until: Callable[[], bool]) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(writer.run(stop))
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until() and not task.done():
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(main())


def test_published_batches_are_stored_once_each(nats_store: SocStore) -> None:
    settings = nats_store.settings
    assert nats_store.publishes and not nats_store.start_writer()
    for n in range(30):
        nats_store.accept([lines(n, 20, WARD_A if n % 2 else WARD_B)], 2.0)
    # A sender re-sending a body it was not sure of: one message id, stored once.
    body = Batch(WARD_A, "http:vector", "auto", [b"<34>1 2026-12-07T11:00:00Z h a - - - x"])
    body.content_type = "text/plain"
    first = nats_store.accept([body], 2.0)
    body.received = body.received.replace(microsecond=(body.received.microsecond + 1) % 10**6)
    assert nats_store.accept([body], 2.0) == first  # JetStream answers with the stored one
    writer = NatsWriter(settings, nats_store.lake, limits_of(settings), fetch=7)
    run_writer(writer, 30, lambda: writer.counts.events >= 601)
    assert counted(nats_store.lake) == (601, 601)
    assert writer.counts.batches == 31 and writer.counts.duplicates == 0
    wards = nats_store.lake.connect().execute(
        f"SELECT ward, origin, source, count(*) FROM {nats_store.lake.events_source()} "
        "GROUP BY ALL ORDER BY ALL"
    )
    assert wards.fetchall() == [
        (WARD_A, "real", "http:vector", 1),
        (WARD_A, "real", "syslog:10.0.0.1", 300),
        (WARD_B, "real", "syslog:10.0.0.1", 300),
    ]


def test_a_batch_delivered_again_after_its_commit_is_not_stored_twice(
    nats_store: SocStore,
) -> None:
    """A writer that committed but died before acknowledging: the batch comes again."""
    settings = nats_store.settings.model_copy(update={"nats_ack_wait_seconds": 1.0})
    for n in range(5):
        nats_store.accept([lines(n, 10)], 2.0)
    crashed = NatsWriter(settings, nats_store.lake, limits_of(settings))
    crashed.shared.open()

    async def commit_without_ack() -> None:
        client = await nats.connect(NATS_URL)
        js = client.jetstream()
        subscription = await js.pull_subscribe(
            f"{settings.nats_subject_prefix}.>",
            durable=settings.nats_durable,
            stream=settings.nats_stream,
            config=nats.js.api.ConsumerConfig(ack_wait=settings.nats_ack_wait_seconds),
        )
        messages = await subscription.fetch(3, timeout=5)
        crashed.store(messages)  # stored durably, never acknowledged
        await subscription.unsubscribe()
        await client.close()

    asyncio.run(commit_without_ack())
    crashed.shared.close()
    assert counted(nats_store.lake) == (30, 30)
    time.sleep(settings.nats_ack_wait_seconds + 0.5)
    writer = NatsWriter(settings, nats_store.lake, limits_of(settings))
    run_writer(writer, 30, lambda: writer.counts.batches >= 2 and writer.counts.duplicates >= 3)
    # 3 came again; more if this writer, on a crowded machine, outlived its own ack wait
    assert writer.counts.duplicates >= 3 and writer.counts.batches == 2
    assert counted(nats_store.lake) == (50, 50)
    ids = stored_batch_ids(nats_store.lake)
    assert len(ids) == len(set(ids)) == 5


def _writer_process(data_dir: Path, settings: SocSettings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "RENGO_NATS_URL": NATS_URL,
        "RENGO_SOC__NATS_STREAM": settings.nats_stream,
        "RENGO_SOC__NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
        "RENGO_SOC__NATS_DURABLE": settings.nats_durable,
        "RENGO_SOC__NATS_ACK_WAIT_SECONDS": "2",
    }
    command = [sys.executable, "-m", "rengo", "soc", "writer", "--fetch", "4"]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert b"storing stream" in process.stdout.readline()  # its signal handlers are set
    return process


def test_writers_killed_with_sigkill_lose_and_double_nothing(
    nats_store: SocStore, tmp_path: Path
) -> None:
    """Two writer processes share the stream; one is killed with SIGKILL mid-stream and a
    third takes its place: every sent event is stored exactly once."""
    batches, per_batch = 300, 25

    def send() -> None:  # about 3 s of batches, so that the kill falls mid-stream
        for n in range(batches):
            nats_store.accept([lines(n, per_batch, WARD_A if n % 3 else WARD_B)], 5.0)
            time.sleep(0.01)

    lake = nats_store.lake
    writers = [_writer_process(tmp_path / "data", nats_store.settings) for _ in range(2)]
    sender = threading.Thread(target=send)
    sender.start()
    try:
        deadline = time.monotonic() + 60
        while lake.head() < 10 and time.monotonic() < deadline:  # it has committed some
            time.sleep(0.01)
        assert lake.head() >= 10, "the writers stored nothing within a minute"
        writers[0].send_signal(signal.SIGKILL)
        writers[0].wait()
        at_kill = counted(lake)[0]
        writers.append(_writer_process(tmp_path / "data", nats_store.settings))
        deadline = time.monotonic() + 120
        while counted(lake)[0] < batches * per_batch and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # anything delivered again after the ack wait lands (or is skipped)
    finally:
        sender.join()
        for writer in writers[1:]:
            writer.send_signal(signal.SIGTERM)
        for writer in writers[1:]:
            assert writer.wait(timeout=30) == 0, writer.stderr.read() if writer.stderr else ""
    assert at_kill < batches * per_batch, "the kill came after the end of the stream"
    assert counted(lake) == (batches * per_batch, batches * per_batch)
    ids = stored_batch_ids(lake)
    assert len(ids) == len(set(ids)) == batches


def test_a_stopped_nats_answers_503_with_retry_after(
    client: TestClient, env: Runtime, tokens: Callable[..., str], tmp_path: Path
) -> None:
    """Our own nats-server: ingest is accepted while it runs, refused (503) once stopped."""
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not Path(binary).exists():
        pytest.skip("nats-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path / "js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _reachable(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        settings = env.settings.section(SocSettings).model_copy(
            update={"nats_url": f"nats://127.0.0.1:{port}", "nats_publish_timeout_seconds": 1.0}
        )
        # The API's store of this data directory, publishing to that server.
        service._stores[str(env.data_dir.root)] = SocStore.open(env.data_dir, settings)
        token = tokens(WARD_A, "ward_it")
        body = b"<34>1 2026-12-07T10:00:00Z fw01 sshd - - - one"
        sent = client.post("/api/v1/soc/ingest", content=body, headers=auth(token))
        assert sent.status_code == 200, sent.text
        assert sent.json()["position"] == 1  # the stream's sequence
        server.send_signal(signal.SIGKILL)
        server.wait()
        refused = client.post("/api/v1/soc/ingest", content=body + b"2", headers=auth(token))
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert "NATS did not store the batch" in refused.json()["message"]
    finally:
        server.kill()
        server.wait()


def test_unreachable_nats_is_busy_not_a_drop(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there
    settings = SocSettings(nats_url=f"nats://127.0.0.1:{port}")
    intake = NatsIntake(settings, limits_of(settings))
    try:
        with pytest.raises(NatsUnavailable):
            intake.accept([lines(0, 1)], 0.5)
    finally:
        intake.close()


def test_a_body_larger_than_a_message_is_cut_into_its_records() -> None:
    body = b"\n".join(orjson.dumps({"time": "2026-12-07T10:00:00Z", "n": n}) for n in range(500))
    batch = Batch(WARD_A, "http:x", "auto", [body], content_type="application/x-ndjson")
    parts = fit(batch, 4096, limits_of(SocSettings()))
    assert len(parts) > 3 and all(len(p.encode()) <= 4096 for p in parts)
    assert [r for p in parts for r in p.records] == body.split(b"\n")
    assert [p.first_number for p in parts][:2] == [1, 1 + len(parts[0].records)]


def test_a_commit_cut_short_by_a_crash_is_removed_before_the_next(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    shared = SharedLake(lake)
    shared.open()
    leftover = lake.events_dir / "class_uid=1/ward=x/day=2026-12-07" / f"p-{1:020d}-0.parquet"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half written")
    (lake.root / PENDING).write_bytes(b"1")
    lake.log_file.write_bytes(b'{"seq": 1, "partitions": [], "events": 1, "quarantined": 0}\n')
    with shared.locked():
        assert not leftover.exists() and not (lake.root / PENDING).exists()
        assert lake.log_file.read_bytes() == b""
    shared.close()


def test_the_spool_appends_past_a_head_that_nats_writers_moved(tmp_path: Path) -> None:
    """Back to the embedded writer after NATS writers: the lake's head (a commit count)
    may be beyond the spool's end; new batches must land past it, or the writer, which
    reads from the head, would never see them."""
    from rengo.soc.spool import Spool

    spool = Spool(tmp_path / "spool")
    spool.append([lines(0, 2)])
    behind = spool.end()
    spool.consume(behind + 10_000)  # what the embedded writer does with the lake's head
    (position,) = spool.append([lines(1, 2)])
    assert position >= behind + 10_000
    assert [b.batch.records for b in spool.read(behind + 10_000, 1 << 20)] == [lines(1, 2).records]


def test_a_syslog_record_larger_than_a_message_is_quarantined_not_lost(
    nats_store: SocStore,
) -> None:
    big = b"<34>1 2026-12-07T10:00:00Z fw01 app - - - " + b"x" * (1_300_000)
    batch = lines(0, 3)
    batch.records.insert(1, big)
    nats_store.accept([batch], 2.0)
    settings = nats_store.settings
    writer = NatsWriter(settings, nats_store.lake, limits_of(settings))
    run_writer(writer, 30, lambda: writer.counts.events + writer.counts.quarantined >= 4)
    assert counted(nats_store.lake) == (3, 3)
    cursor = nats_store.lake.connect()
    rows = cursor.execute(
        f"SELECT reason, octet_length(raw) FROM {nats_store.lake.quarantine_source()}"
    ).fetchall()
    assert len(rows) == 1
    reason, kept = rows[0]
    assert f"record of {len(big)} bytes is larger than the NATS server's max_payload" in reason
    assert 1_000_000 < kept < len(big)


def test_the_syslog_listener_publishes_to_nats(nats_store: SocStore) -> None:
    """The listener calls the same ``accept``: with a NATS URL its batches go to the
    stream (the spool stays empty) and a writer stores them."""
    from rengo.soc.syslog_server import ListenerThread, SyslogListener
    from rengo.soc.wardmap import WardMap

    listener = SyslogListener(
        store=nats_store, ward_map=WardMap.parse("127.0.0.0/8 131016\n"), flush_ms=50, tcp_port=0
    )
    thread = ListenerThread(listener)
    thread.start()
    try:
        with socket.create_connection(("127.0.0.1", listener.bound["tcp"])) as tcp:
            tcp.sendall(b"".join(record + b"\n" for record in lines(7, 40).records))
        deadline = time.monotonic() + 30
        while listener.counters.spooled < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop()
    assert listener.counters.spooled == 40
    assert nats_store.spool.end() == 0
    settings = nats_store.settings
    writer = NatsWriter(settings, nats_store.lake, limits_of(settings))
    run_writer(writer, 30, lambda: writer.counts.events >= 40)
    assert counted(nats_store.lake) == (40, 40)


def test_rengo_soc_ingest_publishes_files_and_a_writer_stores_them(
    nats_settings: SocSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from rengo.cli import app

    for name in ("nats_stream", "nats_subject_prefix", "nats_durable"):
        monkeypatch.setenv(f"RENGO_SOC__{name.upper()}", getattr(nats_settings, name))
    monkeypatch.setenv("RENGO_NATS_URL", NATS_URL)
    log = tmp_path / "fw.log"
    log.write_bytes(b"".join(record + b"\n" for record in lines(3, 120).records))
    data_dir = tmp_path / "data"
    command = ["soc", "ingest", "--ward", "131016", str(log), "--data-dir", str(data_dir)]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "120 records published to NATS" in result.output
    again = CliRunner().invoke(app, command)  # the file is in the manifest: skipped
    assert "1 files skipped" in again.output, again.output
    lake = Lake(DataDir(data_dir).lake("soc"))
    writer = NatsWriter(nats_settings, lake, limits_of(nats_settings))
    run_writer(writer, 30, lambda: writer.counts.events >= 120)
    assert counted(lake) == (120, 120)


def test_the_ledger_forgets_what_nats_will_not_deliver_again(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    shared = SharedLake(lake)
    shared.open()
    table = pa.Table.from_pylist([], schema=EVENT_SCHEMA)
    with shared.locked():
        shared.commit({"a": 1, "b": 5}, table, [])
    shared.forget_acknowledged(3)  # the consumer's ack floor: 1 is never delivered again
    assert shared.stored == {"b": 5}
    with shared.locked():  # new log lines only: "a" is not read back
        shared.commit({"c": 6}, table, [])
    assert shared.stored == {"b": 5, "c": 6}
    other = SharedLake(lake)  # a writer started later reads the whole log
    with other.locked():
        assert other.stored == {"a": 1, "b": 5, "c": 6}
    shared.close()
