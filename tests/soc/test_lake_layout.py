"""Past days merged into one file per day: read once, searchable, retained per ward,
followed by the change cursor, and safe at every step of the swap."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from rengo.soc import maintenance
from rengo.soc.lake import EVENT_SCHEMA
from rengo.soc.maintenance import apply_retention, compact, finish_interrupted_compaction
from rengo.soc.search import EventQuery, get_event, search_events
from rengo.soc.service import SocStore
from rengo.soc.spool import Batch

CHIYODA, MINATO = "131016", "131032"
DAY1, DAY2 = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 2, tzinfo=UTC)
WIDE = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


def record(when: datetime, class_uid: int, ip: str) -> bytes:
    return orjson.dumps(
        {
            "time": when.isoformat(),
            "class_uid": class_uid,
            "message": f"m {ip}",
            "src_endpoint": {"ip": ip},
        }
    )


def fill(store: SocStore) -> None:
    """Two days × two wards × two classes, each partition written by three commits."""
    for n in range(3):
        batches = [
            Batch(
                ward,
                "s",
                "json",
                [record(day + timedelta(hours=n, minutes=c % 7), c, f"10.{i}.{c % 7}.{n}")],
            )
            for i, ward in enumerate((CHIYODA, MINATO))
            for day in (DAY1, DAY2)
            for c in (3002, 4001)
        ]
        store.spool.append(batches)
        store.writer.drain_once()


def ips(store: SocStore, **query: object) -> list[str]:
    page = search_events(store.lake, EventQuery(*WIDE, limit=1000, **query))  # type: ignore[arg-type]
    return [e["src_ip"] for e in page.items]


def test_a_past_day_becomes_one_sorted_file_and_reads_the_same(soc_store: SocStore) -> None:
    fill(soc_store)
    before = ips(soc_store)
    assert len(before) == 24 and len(soc_store.lake.event_files()) == 24
    report = compact(soc_store.lake, min_files=8, today=date(2026, 5, 2))
    assert (report.files_before, report.files_after) == (12, 1)
    [day_file] = list((soc_store.lake.events_dir / "day=2026-05-01").glob("d-*.parquet"))
    assert not list(soc_store.lake.events_dir.glob("class_uid=*/ward=*/day=2026-05-01"))
    assert len(soc_store.lake.event_files()) == 13  # the merged day and today's 12 files
    table = pq.read_table(day_file)
    keys = list(
        zip(
            table["ward"].to_pylist(),
            table["class_uid"].to_pylist(),
            table["time"].to_pylist(),
            strict=True,
        )
    )
    assert keys == sorted(keys)
    metadata = pq.ParquetFile(day_file).metadata
    assert metadata.num_row_groups == 2  # one per ward
    assert ips(soc_store) == before
    assert (
        ips(soc_store, wards=frozenset({MINATO}), classes=(4001,), filters={"src_ip": "10.1.4.2"})
        == ["10.1.4.2"] * 2
    )
    one = search_events(
        soc_store.lake, EventQuery(*WIDE, wards=frozenset({CHIYODA}), limit=1000)
    ).items[-1]
    assert get_event(soc_store.lake, one["event_id"], frozenset({CHIYODA}), at=one["time"]) == one
    assert get_event(soc_store.lake, one["event_id"], frozenset({MINATO})) is None
    batches, cursor = soc_store.lake.changes(0)
    assert sum(b.num_rows for b in batches) == 24 and cursor == soc_store.lake.head()
    # Late events of the merged day are read from their partition; a few of them do not
    # rewrite the whole day until they gather (or on demand), then they are merged in.
    soc_store.spool.append(
        [Batch(CHIYODA, "s", "json", [record(DAY1 + timedelta(hours=9), 3002, "10.9.9.9")])]
    )
    soc_store.writer.drain_once()
    assert len(ips(soc_store)) == 25
    compact(soc_store.lake, min_files=8, today=date(2026, 5, 3))
    partitions = soc_store.lake.events_dir.glob("class_uid=*/ward=*/day=*")
    assert [p.name for p in partitions] == ["day=2026-05-01"]  # day 2 merged, the late one waits
    assert sorted(ips(soc_store)) == sorted([*before, "10.9.9.9"])
    compact(soc_store.lake, min_files=8, today=date(2026, 5, 3), eager=True)
    assert not list(soc_store.lake.events_dir.glob("class_uid=*"))
    assert len(list(soc_store.lake.events_dir.glob("day=*/d-*.parquet"))) == 2
    assert sorted(ips(soc_store)) == sorted([*before, "10.9.9.9"])


def test_a_swap_cut_short_shows_every_event_once(soc_store: SocStore) -> None:
    fill(soc_store)
    keep = soc_store.lake.root / "keep"
    shutil.copytree(soc_store.lake.events_dir, keep)
    compact(soc_store.lake, min_files=8, today=date(2026, 5, 3))
    merged = sorted(
        str(p.relative_to(soc_store.lake.root))
        for p in soc_store.lake.events_dir.rglob("d-*.parquet")
    )
    # As if the process died after the merged files appeared, before the inputs went.
    shutil.copytree(keep, soc_store.lake.events_dir, dirs_exist_ok=True)
    assert len(ips(soc_store)) == 24
    inputs = [
        str(p.relative_to(soc_store.lake.root))
        for p in soc_store.lake.events_dir.rglob("p-*.parquet")
    ]
    (soc_store.lake.root / "compaction.json").write_bytes(
        orjson.dumps({"folder": ".", "inputs": inputs, "output": merged[0]})
    )
    finish_interrupted_compaction(soc_store.lake)
    assert not list(soc_store.lake.events_dir.glob("class_uid=*")) and len(ips(soc_store)) == 24


def test_retention_drops_a_ward_from_a_merged_day(soc_store: SocStore) -> None:
    fill(soc_store)
    compact(soc_store.lake, min_files=8, today=date(2026, 5, 3))
    now = DAY2 + timedelta(days=8, hours=12)  # day 1 is 9 days old, day 2 eight
    apply_retention(soc_store.lake, now, 30, {MINATO: 8})
    left = search_events(soc_store.lake, EventQuery(*WIDE, limit=1000)).items
    assert {(e["ward"], e["time"].date()) for e in left} == {
        (CHIYODA, DAY1.date()),
        (CHIYODA, DAY2.date()),
        (MINATO, DAY2.date()),
    }
    apply_retention(soc_store.lake, now + timedelta(days=30), 30, {})
    assert not list(soc_store.lake.events_dir.glob("day=*")) and ips(soc_store) == []


MEMORY_PROBE = """
import re, sys
from datetime import date
from pathlib import Path
from rengo.soc.lake import Lake
from rengo.soc.maintenance import compact
report = compact(Lake(Path(sys.argv[1])), min_files=2, today=date(2026, 5, 2), memory_mb=64)
status = Path("/proc/self/status").read_text()  # ru_maxrss would count the parent's before exec
print(report.files_before, int(re.search(r"VmHWM:\\s+(\\d+) kB", status)[1]) // 1024)
"""


def test_a_day_bigger_than_memory_is_merged_within_its_memory_limit(
    soc_store: SocStore, tmp_path: Path
) -> None:
    # 800,000 events of one ward and day, about 1 GB in memory: the merge sorts them
    # through DuckDB with 64 MB and a spill folder, not as one table in memory.
    per_commit = 50_000  # about what one commit of the writer's 8 MiB chunks holds
    for n in range(16):
        numbers = pa.array(range(n * per_commit, (n + 1) * per_commit), pa.int64())
        ids = pc.binary_join_element_wise(
            "e", pc.cast(numbers, pa.string()), ""
        )  # the stable ids of real events are unique too
        columns = {
            "event_id": ids,
            "time": pc.cast(
                pc.add(pc.multiply(pc.negate(numbers), 100_000), 1777679999_000000),
                pa.timestamp("us", tz="UTC"),
            ),  # newest first, so the merge must sort
            "ward": pa.repeat(CHIYODA, per_commit),
            "origin": pa.repeat("real", per_commit),
            "class_uid": pa.repeat(pa.scalar(4001, pa.int32()), per_commit),
            "raw": pc.binary_join_element_wise(
                pc.cast(numbers, pa.string()), pa.repeat("x" * 1200, per_commit), " "
            ),
        }
        table = pa.table(
            [columns.get(f.name, pa.nulls(per_commit, f.type)) for f in EVENT_SCHEMA],
            schema=EVENT_SCHEMA,
        )
        soc_store.lake.commit(soc_store.lake.head() + 1, table, [])
    assert table.nbytes * 16 > 1_000_000_000
    probe = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(soc_store.lake.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    files_before, peak_mib = map(int, probe.stdout.split())
    assert files_before == 16 + 1  # the commits merged in their partition, then the day
    assert peak_mib < 600, f"the merge took {peak_mib} MiB"  # all at once: over 2 GiB
    [day_file] = soc_store.lake.events_dir.glob("day=2026-05-01/d-*.parquet")
    merged = pq.read_table(day_file, columns=["time", "event_id"])
    assert merged.num_rows == 16 * per_commit
    times = merged["time"].to_pylist()
    assert times == sorted(times) and len(set(merged["event_id"].to_pylist())) == merged.num_rows
    assert not (soc_store.lake.root / ".spill").exists()


def commit_events(store: SocStore, first: int, count: int, day: datetime) -> None:
    numbers = pa.array(range(first, first + count), pa.int64())
    columns = {
        "event_id": pc.binary_join_element_wise("e", pc.cast(numbers, pa.string()), ""),
        "time": pc.cast(
            pc.add(pc.multiply(numbers, 1_000_000), int(day.timestamp() * 1_000_000)),
            pa.timestamp("us", tz="UTC"),
        ),
        "ward": pa.repeat(CHIYODA, count),
        "origin": pa.repeat("real", count),
        "class_uid": pa.repeat(pa.scalar(4001, pa.int32()), count),
    }
    table = pa.table(
        [columns.get(f.name, pa.nulls(count, f.type)) for f in EVENT_SCHEMA], schema=EVENT_SCHEMA
    )
    store.lake.commit(store.lake.head() + 1, table, [])


def stored_ids(store: SocStore) -> list[str]:
    return sorted(
        i for b in store.lake.scan(*WIDE, columns=["event_id"]) for i in b["event_id"].to_pylist()
    )


def test_a_busy_partition_is_merged_in_size_tiers_not_rewritten_whole(soc_store: SocStore) -> None:
    lake = soc_store.lake
    folder = lake.events_dir / f"class_uid=4001/ward={CHIYODA}/day=2026-05-01"
    for n in range(64):
        commit_events(soc_store, n * 10, 10, DAY1)
        compact(lake, min_files=4, today=DAY1.date())
        # the newest commits not yet merged, plus about one file per tier (log2 64 = 6)
        assert len(list(folder.glob("*.parquet"))) <= 3 + 7
    assert stored_ids(soc_store) == sorted(f"e{n}" for n in range(640))
    biggest = max(folder.glob("c-*.parquet"), key=lambda p: pq.read_metadata(p).num_rows)
    for n in range(64, 68):
        commit_events(soc_store, n * 10, 10, DAY1)
    compact(lake, min_files=4, today=DAY1.date())
    assert biggest.exists()  # four new commits did not rewrite the big file
    # A swap cut short (merged file written, inputs not yet removed): each event once.
    keep = lake.root / "keep"
    shutil.copytree(folder, keep)
    for n in range(68, 72):
        commit_events(soc_store, n * 10, 10, DAY1)
    shutil.copytree(folder, keep, dirs_exist_ok=True)
    compact(lake, min_files=4, today=DAY1.date())
    shutil.copytree(keep, folder, dirs_exist_ok=True)
    assert stored_ids(soc_store) == sorted(f"e{n}" for n in range(720))


def test_a_stop_abandons_a_merge_and_leaves_the_lake_whole(
    soc_store: SocStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(soc_store)
    before = ips(soc_store)
    stop = threading.Event()
    slices = maintenance._row_groups

    def slices_then_stop(*args: object) -> Iterator[pa.Table]:
        for table in slices(*args):  # type: ignore[arg-type]
            stop.set()  # as LakeWriter.stop does while the day is being merged
            yield table

    monkeypatch.setattr(maintenance, "_row_groups", slices_then_stop)
    report = compact(soc_store.lake, min_files=8, today=date(2026, 5, 3), stop=stop)
    assert report.files_before == 0
    assert not list(soc_store.lake.events_dir.rglob("d-*.parquet"))
    assert not list(soc_store.lake.events_dir.rglob(".*.tmp"))
    assert ips(soc_store) == before
    monkeypatch.undo()
    assert compact(soc_store.lake, min_files=8, today=date(2026, 5, 3)).files_before == 24
    assert sorted(ips(soc_store)) == sorted(before)


def test_every_row_is_filed_under_its_own_class_ward_and_day(soc_store: SocStore) -> None:
    # One commit over many partitions (the demo's first commit, an EVTX folder): the rows
    # of each file are exactly that folder's class, ward and UTC day, in time order.
    wards = (CHIYODA, MINATO, "131091", "131105")
    rows = [
        orjson.loads(
            record(
                DAY1 + timedelta(minutes=97 * n),
                (3002, 4001, 1007)[n % 3],
                f"10.0.{n % 250}.{n % 7}",
            )
        )
        | {"ward": wards[(n * 7) % 4]}
        for n in range(2000)
    ]
    table = pa.Table.from_pylist(
        [
            {
                "event_id": f"e{n}",
                "origin": "real",
                **r,
                "time": datetime.fromisoformat(r["time"]),
                "src_ip": r["src_endpoint"]["ip"],
            }
            for n, r in enumerate(rows)
        ]
    )
    events = pa.table(
        [
            table[f.name].cast(f.type)
            if f.name in table.column_names
            else pa.nulls(len(table), f.type)
            for f in EVENT_SCHEMA
        ],
        schema=EVENT_SCHEMA,
    )
    commit = soc_store.lake.commit(soc_store.lake.head() + 1, events, [])
    assert len(commit.partitions) > 100
    seen = 0
    for path in soc_store.lake.events_dir.rglob("p-*.parquet"):
        stored = pq.read_table(path, columns=["class_uid", "ward", "time"])
        class_dir, ward_dir, day_dir = path.parts[-4:-1]
        assert set(stored["class_uid"].to_pylist()) == {int(class_dir.removeprefix("class_uid="))}
        assert set(stored["ward"].to_pylist()) == {ward_dir.removeprefix("ward=")}
        days = {t.date().isoformat() for t in stored["time"].to_pylist()}
        assert days == {day_dir.removeprefix("day=")}
        assert stored["time"].to_pylist() == sorted(stored["time"].to_pylist())
        seen += stored.num_rows
    assert seen == 2000


def test_a_day_merge_keeps_rows_filed_under_another_ward_and_never_loses_one(
    soc_store: SocStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(soc_store)
    # A file from before commits were partitioned correctly: Minato's rows under Chiyoda.
    folder = soc_store.lake.events_dir / f"class_uid=3002/ward={CHIYODA}/day=2026-05-01"
    path = next(folder.glob("p-*.parquet"))
    stored = pq.read_table(path)
    pq.write_table(
        stored.set_column(
            stored.schema.get_field_index("ward"), "ward", pa.repeat(MINATO, stored.num_rows)
        ),
        path,
    )
    before = sorted(ips(soc_store))
    # A merge that would write fewer rows than it read is refused; the inputs stay.
    slices = maintenance._row_groups
    monkeypatch.setattr(maintenance, "_row_groups", lambda *a: list(slices(*a))[1:])
    with pytest.raises(maintenance.LakeIntegrityError):
        compact(soc_store.lake, min_files=8, today=date(2026, 5, 2))
    assert path.exists() and not list(soc_store.lake.events_dir.rglob(".*.tmp"))
    monkeypatch.undo()
    compact(soc_store.lake, min_files=8, today=date(2026, 5, 2))
    [day_file] = soc_store.lake.events_dir.glob("day=2026-05-01/d-*.parquet")
    assert pq.read_metadata(day_file).num_rows == 12
    assert sorted(ips(soc_store)) == before
