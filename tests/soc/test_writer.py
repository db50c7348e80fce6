"""The lake writer with worker processes stores exactly what it stores on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rengo.core.storage import DataDir
from rengo.soc.quarantine import quarantined
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch
from tests.soc import samples

BATCHES = [
    Batch("131016", "syslog:10.0.0.1", "syslog", [samples.SYSLOG_5424, samples.CEF, b"junk"]),
    Batch("131024", "file:proxy.log", "auto", [samples.SQUID, samples.FORTI_VPN], key="sha256:x"),
    Batch("131016", "http:vector", "auto", [samples.FORTI_TRAFFIC, samples.M365_LOGIN]),
]


def stored(tmp_path: Path, processes: int) -> tuple[list[Any], list[Any], int]:
    settings = SocSettings(writer_processes=processes, writer_chunk_bytes=600)
    store = SocStore.open(DataDir(tmp_path / f"data{processes}").ensure(), settings)
    store.writer.parallel_min_bytes = 0  # even these small chunks go to the workers
    for batch in BATCHES * 3:
        store.spool.append([batch])
    assert store.writer.acquire()
    try:
        store.writer.drain()
        commits = len(store.lake.commits())
        connection = store.lake.connect()
        rows = connection.sql(
            f"SELECT event_id, ward, class_uid, time, format, raw, ingest_seq, unmapped "
            f"FROM {store.lake.events_source()} ORDER BY event_id, ingest_seq"
        ).fetchall()
        rejected = sorted(
            (r["location"], r["reason"], r["raw"]) for r in quarantined(store.lake, wards=None)
        )
    finally:
        store.writer.release()
    return rows, rejected, commits


def test_worker_processes_store_the_same_events_ids_and_commits(tmp_path: Path) -> None:
    alone = stored(tmp_path, 0)
    with_workers = stored(tmp_path, 2)
    assert with_workers == alone
    rows, rejected, commits = alone
    assert len(rows) == 18 and len(rejected) == 3 and commits > 1
