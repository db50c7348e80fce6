"""Files written before a column was added (``file_hash_md5``, ``file_hash_sha1``) stay
readable — scans, the change cursor, search, single events — and merge into files of
today's schema, their missing columns null."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from rengo.soc.lake import Lake
from rengo.soc.maintenance import compact
from rengo.soc.schema import EVENT_SCHEMA
from rengo.soc.search import EventQuery, get_event, search_events

CHIYODA = "131016"
DAY = datetime(2026, 5, 1, 3, tzinfo=UTC)
WIDE = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
NEW_COLUMNS = ["file_hash_md5", "file_hash_sha1"]
MD5, SHA256 = "0123456789abcdef" * 2, "ab" * 32


def _event(event_id: str, minutes: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "time": DAY + timedelta(minutes=minutes),
        "ward": CHIYODA,
        "origin": "real",
        "class_uid": 1001,
        **fields,
    }


def _written_before_the_new_columns(lake: Lake) -> list[Path]:
    """Rewrite every event file as the lake wrote it before the hash columns existed."""
    paths = sorted(lake.events_dir.rglob("*.parquet"))
    for path in paths:
        pq.write_table(pq.read_table(path).drop_columns(NEW_COLUMNS), path)
        assert not set(NEW_COLUMNS) & set(pq.read_schema(path).names)
    return paths


def test_old_files_without_the_hash_columns_read_and_merge(tmp_path: Path) -> None:
    lake = Lake(tmp_path / "lake")
    lake.commit(1, [_event("old-1", 0, file_hash_sha256=SHA256)], [])
    lake.commit(2, [_event("old-2", 1)], [])
    assert len(_written_before_the_new_columns(lake)) == 2

    # Every file read lacks the columns: DuckDB alone would not know them at all.
    scanned = [row for batch in lake.scan(*WIDE) for row in batch.to_pylist()]
    assert [r["event_id"] for r in scanned] == ["old-1", "old-2"]
    assert all(r["file_hash_md5"] is None and r["file_hash_sha1"] is None for r in scanned)
    assert scanned[0]["file_hash_sha256"] == SHA256
    batches, cursor = lake.changes(0, columns=["event_id", *NEW_COLUMNS])
    assert [r for b in batches for r in b.to_pylist()] == [
        {"event_id": "old-1", "file_hash_md5": None, "file_hash_sha1": None},
        {"event_id": "old-2", "file_hash_md5": None, "file_hash_sha1": None},
    ]
    found = search_events(lake, EventQuery(*WIDE, filters={"file_hash_sha256": SHA256}))
    assert [e["event_id"] for e in found.items] == ["old-1"]
    assert found.items[0]["file_hash_md5"] is None
    one = get_event(lake, "old-2", frozenset({CHIYODA}))
    assert one is not None and one["file_hash_sha1"] is None

    # A new file beside the old ones, then the partition merge and the past-day merge.
    lake.commit(cursor + 1, [_event("new", 2, file_hash_md5=MD5)], [])
    assert compact(lake, min_files=2).files_after == 1
    [merged] = list(lake.events_dir.rglob("c-*.parquet"))
    assert pq.read_schema(merged).names == EVENT_SCHEMA.names
    assert compact(lake, min_files=1, today=date(2026, 5, 2)).files_after == 1
    [day_file] = list(lake.events_dir.rglob("d-*.parquet"))
    table = pq.read_table(day_file)
    assert table.schema.names == EVENT_SCHEMA.names
    assert dict(
        zip(table["event_id"].to_pylist(), table["file_hash_md5"].to_pylist(), strict=True)
    ) == {
        "old-1": None,
        "old-2": None,
        "new": MD5,
    }
    hits = search_events(lake, EventQuery(*WIDE, filters={"file_hash_md5": MD5})).items
    assert [e["event_id"] for e in hits] == ["new"]


def test_a_file_without_an_original_column_is_not_read_as_null(tmp_path: Path) -> None:
    """Only the added columns are filled in: a file without ``ward`` is broken, not old."""
    lake = Lake(tmp_path / "lake")
    lake.commit(1, [_event("e", 0)], [])
    [path] = lake.events_dir.rglob("*.parquet")
    pq.write_table(pq.read_table(path).drop_columns(["ward", *NEW_COLUMNS]), path)
    with pytest.raises(duckdb.BinderException, match="ward"):
        list(lake.scan(*WIDE))
