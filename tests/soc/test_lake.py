"""Spool → lake: ids, quarantine, envelopes, compaction, retention, the change cursor."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgpack
import orjson
import pyarrow.parquet as pq
import pytest

from rengo.soc import maintenance
from rengo.soc.files import ingest_files
from rengo.soc.maintenance import apply_retention, compact
from rengo.soc.quarantine import quarantined, replay
from rengo.soc.service import SocStore
from rengo.soc.spool import Batch, Spool
from rengo.soc.stats import collect_stats
from tests.soc import samples

CHIYODA, MINATO = "131016", "131032"
ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def rows(store: SocStore, **kwargs: object) -> list[dict]:
    out: list[dict] = []
    for batch in store.lake.scan(*ALL_TIME, **kwargs):  # type: ignore[arg-type]
        out.extend(batch.to_pylist())
    return out


def test_a_bad_record_is_quarantined_and_the_rest_stored(soc_store: SocStore) -> None:
    records = [samples.SQUID, b"not a log line at all", samples.FORTI_TRAFFIC]
    soc_store.spool.append([Batch(CHIYODA, "syslog:10.16.0.1", "auto", records)])
    soc_store.writer.drain()
    stored = rows(soc_store)
    assert sorted(r["format"] for r in stored) == ["fortigate", "squid"]
    assert all(r["ward"] == CHIYODA and r["origin"] == "real" for r in stored)
    assert stored[0]["raw"] in {samples.SQUID.decode(), samples.FORTI_TRAFFIC.decode()}
    bad = quarantined(soc_store.lake, wards=None)
    assert len(bad) == 1
    assert bad[0]["location"] == "syslog:10.16.0.1 record 2"
    assert "not recognised" in bad[0]["reason"] and bad[0]["raw"] == b"not a log line at all"


def test_ids_are_stable_for_the_same_file(soc_store: SocStore, tmp_path: Path) -> None:
    log = tmp_path / "proxy.log.gz"
    log.write_bytes(
        gzip.compress(samples.SQUID + b"\n\n" + samples.SQUID.replace(b"403", b"200") + b"\n")
    )
    first = ingest_files(soc_store, CHIYODA, [log])
    soc_store.writer.drain()
    again = ingest_files(soc_store, CHIYODA, [log])
    assert first.records == 2 and again.skipped == [str(log)]
    forced = ingest_files(soc_store, CHIYODA, [log], force=True)
    soc_store.writer.drain()
    assert forced.records == 2
    ids = [r["event_id"] for r in rows(soc_store)]
    assert len(ids) == 4 and len(set(ids)) == 2  # re-read lines get the same ids


def test_unmapped_sender_goes_to_quarantine(soc_store: SocStore) -> None:
    soc_store.spool.append(
        [Batch("unmapped", "syslog:192.0.2.99", "syslog", [samples.SYSLOG_3164])]
    )
    soc_store.writer.drain()
    assert rows(soc_store) == []
    [bad] = quarantined(soc_store.lake, wards=None)
    assert "belongs to no ward" in bad["reason"]


def test_http_envelopes(soc_store: SocStore) -> None:
    ndjson = samples.SQUID.join([b'{"message":"', b'","host":"p"}\n{broken\n'])
    array = orjson.dumps(
        [
            {"message": "hello", "timestamp": "2026-05-01T00:00:00Z"},
            {"date": 1777593600.5, "log": "x"},
        ]
    )
    packer = msgpack.Packer()
    fluent = packer.pack(
        [
            msgpack.ExtType(0, (1777593600).to_bytes(4, "big") + (0).to_bytes(4, "big")),
            {"log": "fb"},
        ]
    )
    fluent += packer.pack([[1777593601, {}], {"log": "fb2"}])
    soc_store.spool.append(
        [
            Batch(MINATO, "http:vector", "auto", [ndjson], content_type="application/x-ndjson"),
            Batch(MINATO, "http:vector", "auto", [array], content_type="application/json"),
            Batch(MINATO, "http:fluentbit", "auto", [fluent], content_type="application/msgpack"),
        ]
    )
    soc_store.writer.drain()
    stored = rows(soc_store)
    assert len(stored) == 5
    times = sorted(r["time"] for r in stored if r["source"] == "http:fluentbit")
    assert times == [datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 1, 0, 0, 1, tzinfo=UTC)]
    [bad] = quarantined(soc_store.lake, wards=None)
    assert bad["location"] == "http:vector record 2" and bad["raw"] == b"{broken"


def test_quarantine_replay_after_fix(soc_store: SocStore) -> None:
    soc_store.spool.append([Batch(CHIYODA, "file:x", "squid", [samples.SQUID[:40], samples.SQUID])])
    soc_store.writer.drain()
    assert len(quarantined(soc_store.lake, wards=None)) == 1
    report = replay(soc_store.lake, soc_store.spool, wards=None)
    assert (report.replayed, report.still_failing) == (0, 1)  # still broken: stays
    assert len(quarantined(soc_store.lake, wards=frozenset({MINATO}))) == 0


def test_compaction_keeps_every_event_once(soc_store: SocStore) -> None:
    for n in range(5):
        line = samples.FORTI_TRAFFIC.replace(b"srcport=51234", f"srcport={n}".encode())
        soc_store.spool.append([Batch(CHIYODA, "s", "fortigate", [line])])
        soc_store.writer.drain_once()
    folder = next(soc_store.lake.events_dir.glob("class_uid=4001/ward=*/day=*"))
    assert len(list(folder.glob("*.parquet"))) == 5
    report = compact(soc_store.lake, min_files=3)
    assert (report.files_before, report.files_after) == (5, 1)
    assert sorted(r["src_port"] for r in rows(soc_store)) == [0, 1, 2, 3, 4]
    batches, cursor = soc_store.lake.changes(0)
    assert sum(b.num_rows for b in batches) == 5 and cursor == soc_store.lake.head()


def test_compaction_streams_and_keeps_later_commits(
    soc_store: SocStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partition is merged a few rows at a time (bounded memory), into one file that
    readers take with everything committed after the merge began."""
    monkeypatch.setattr(maintenance, "MERGE_BATCH_ROWS", 2)
    for n in range(5):
        lines = [
            samples.FORTI_TRAFFIC.replace(b"srcport=51234", f"srcport={n * 10 + k}".encode())
            for k in range(3)
        ]
        soc_store.spool.append([Batch(CHIYODA, "s", "fortigate", lines)])
        soc_store.writer.drain_once()
    folder = next(soc_store.lake.events_dir.glob("class_uid=4001/ward=*/day=*"))
    compact(soc_store.lake, min_files=3)
    merged = list(folder.glob("c-*.parquet"))
    assert len(merged) == 1 and pq.ParquetFile(merged[0]).metadata.num_row_groups > 1
    late = samples.FORTI_TRAFFIC.replace(b"srcport=51234", b"srcport=99")
    soc_store.spool.append([Batch(CHIYODA, "s", "fortigate", [late])])
    soc_store.writer.drain_once()
    ports = sorted(r["src_port"] for r in rows(soc_store))
    assert ports == sorted([n * 10 + k for n in range(5) for k in range(3)] + [99])


def test_changes_returns_only_new_events(soc_store: SocStore) -> None:
    soc_store.spool.append([Batch(CHIYODA, "s", "squid", [samples.SQUID])])
    soc_store.writer.drain()
    _, cursor = soc_store.lake.changes(0)
    soc_store.spool.append([Batch(MINATO, "s", "fortigate", [samples.FORTI_VPN])])
    soc_store.writer.drain()
    batches, newer = soc_store.lake.changes(cursor)
    assert [r["ward"] for b in batches for r in b.to_pylist()] == [MINATO]
    assert newer > cursor and soc_store.lake.changes(newer) == ([], newer)


def test_retention_per_ward(soc_store: SocStore) -> None:
    soc_store.spool.append(
        [
            Batch(CHIYODA, "s", "squid", [samples.SQUID]),
            Batch(MINATO, "s", "squid", [samples.SQUID]),
        ]
    )
    soc_store.writer.drain()
    now = datetime(2026, 5, 20, tzinfo=UTC)
    assert apply_retention(soc_store.lake, now, 30, {MINATO: 7}) == 1
    assert [r["ward"] for r in rows(soc_store)] == [CHIYODA]


def test_stats_and_silent_wards(soc_store: SocStore) -> None:
    now = datetime.now(UTC)
    line = f'{{"time":"{(now - timedelta(hours=1)).isoformat()}","message":"m"}}'.encode()
    soc_store.spool.append([Batch(CHIYODA, "http:a", "json", [line, b"{"])])
    soc_store.writer.drain()
    stats = collect_stats(soc_store.lake, wards=None, now=now, silent_hours=6)
    assert stats.total_events == 1 and stats.total_quarantined == 1
    assert CHIYODA not in stats.silent_wards and MINATO in stats.silent_wards
    assert len(stats.silent_wards) == 22
    own = collect_stats(soc_store.lake, wards=frozenset({MINATO}), now=now)
    assert own.total_events == 0 and list(own.last_seen) == [MINATO]


def test_every_evtx_attack_sample_record_is_stored(soc_store: SocStore, evtx_samples: Path) -> None:
    files = sorted(evtx_samples.rglob("*.evtx"))
    report = ingest_files(soc_store, CHIYODA, files)
    soc_store.writer.drain()
    assert report.files == len(files) == 277
    connection = soc_store.lake.connect()
    source = soc_store.lake.events_source()
    [(total, distinct, windows_named)] = connection.sql(
        f"SELECT count(*), count(DISTINCT event_id), count(unmapped['EventID']) FROM {source}"
    ).fetchall()
    assert total == distinct == windows_named == 8255
    assert quarantined(soc_store.lake, wards=None) == []
    sysmon = connection.sql(
        f"SELECT count(*) FROM {source} WHERE class_uid = 1007 AND unmapped['Channel'] LIKE "
        "'%Sysmon%' "
        "AND unmapped['Image'] IS NOT NULL"
    ).fetchall()[0][0]
    assert sysmon > 100


def test_a_batch_bigger_than_a_read_is_neither_skipped_nor_stalls(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", segment_bytes=1 << 20)
    small = Batch("131016", "syslog:10.0.0.1", "syslog", [samples.SYSLOG_5424])
    # A syslog batch that back-pressure let grow past a whole read (chunk + 16 MiB).
    big = Batch("131016", "syslog:10.0.0.1", "syslog", [samples.SYSLOG_3164] * 200_000)
    spool.append([small])
    spool.append([big])
    spool.append([small])  # in the next segment
    first = spool.read(0, max_bytes=1)
    assert [len(s.batch.records) for s in first] == [1]
    second = spool.read(first[-1].end, max_bytes=1)
    assert second[0].position == first[-1].end and len(second[0].batch.records) == 200_000
    third = spool.read(second[-1].end, max_bytes=1)
    assert len(third[0].batch.records) == 1 and spool.read(third[-1].end, 1) == []
