"""Lake upkeep: merging small files and dropping days past each ward's retention.

Compaction is crash-safe through a journal written before the merged file: after a
crash ``finish_interrupted_compaction`` either completes the swap (the merged file
exists, so the inputs go) or abandons it (the inputs stay), never both or neither.
Both run in the lake writer's thread, so they never race a commit.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from rengo.core.storage import fsync_directory, write_atomically
from rengo.soc.lake import EVENT_SCHEMA, Lake, _seq_of, _write_parquet

JOURNAL = "compaction.json"


@dataclass(frozen=True, slots=True)
class CompactionReport:
    partitions: int
    files_before: int
    files_after: int


def _journal(lake: Lake) -> Path:
    return lake.root / JOURNAL


def finish_interrupted_compaction(lake: Lake) -> None:
    journal = _journal(lake)
    if not journal.exists():
        return
    entry = orjson.loads(journal.read_bytes())
    folder = lake.root / entry["folder"]
    if (folder / entry["output"]).exists():
        for name in entry["inputs"]:
            (folder / name).unlink(missing_ok=True)
        fsync_directory(folder)
    journal.unlink()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def compact(lake: Lake, *, min_files: int = 8, today: date | None = None) -> CompactionReport:
    """Merge the files of every partition that has ``min_files`` or more, or of any past
    day with more than one, into one file sorted by time."""
    head = lake.head()
    partitions = before = after = 0
    for folder in sorted(lake.events_dir.glob("class_uid=*/ward=*/day=*")):
        files = [p for p in _files(folder) if (_seq_of(p) or 0) <= head]
        day = date.fromisoformat(folder.name.removeprefix("day="))
        past = today is not None and day < today
        if len(files) < 2 or (len(files) < min_files and not past):
            continue
        table = pa.concat_tables(pq.read_table(p, schema=EVENT_SCHEMA) for p in files)
        table = table.sort_by([("time", "ascending"), ("event_id", "ascending")])
        max_seq = max(pc_max(table), 0)
        digest = hashlib.sha256("|".join(p.name for p in files).encode()).hexdigest()[:12]
        output = f"c-{max_seq:020d}-{digest}.parquet"
        write_atomically(
            _journal(lake),
            orjson.dumps(
                {
                    "folder": str(folder.relative_to(lake.root)),
                    "inputs": [p.name for p in files],
                    "output": output,
                }
            ),
        )
        _write_parquet(table, folder / output)
        fsync_directory(folder)
        for path in files:
            path.unlink()
        fsync_directory(folder)
        _journal(lake).unlink()
        partitions += 1
        before += len(files)
        after += 1
    return CompactionReport(partitions, before, after)


def pc_max(table: pa.Table) -> int:
    import pyarrow.compute as pc

    value = pc.max(table["ingest_seq"]).as_py()
    return int(value or 0)


def apply_retention(lake: Lake, now: datetime, default_days: int, per_ward: dict[str, int]) -> int:
    """Delete day partitions older than the ward's retention; return how many went."""
    removed = 0
    for folder in list(lake.events_dir.glob("class_uid=*/ward=*/day=*")) + list(
        lake.quarantine_dir.glob("ward=*/day=*")
    ):
        ward = folder.parent.name.removeprefix("ward=")
        keep_days = per_ward.get(ward, default_days)
        day = date.fromisoformat(folder.name.removeprefix("day="))
        if day < (now - timedelta(days=keep_days)).date():
            shutil.rmtree(folder)
            removed += 1
    return removed
