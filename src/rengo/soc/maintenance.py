"""Lake upkeep: merging small files and dropping days past each ward's retention.

Compaction is crash-safe through a journal written before the merged file: after a
crash ``finish_interrupted_compaction`` either completes the swap (the merged file
exists, so the inputs go) or abandons it (the inputs stay), never both or neither.
Both run in the lake writer's upkeep thread beside commits: compaction only takes
files of commits already made (a commit only adds new files), and retention holds the
writer's commit lock while it removes a day.
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


def _rows(path: Path) -> int:
    return int(pq.read_metadata(path).num_rows)


def _groups(files: list[Path], max_rows: int) -> list[list[Path]]:
    """Runs of consecutive small files, each of at most about ``max_rows`` rows."""
    groups: list[list[Path]] = [[]]
    rows = 0
    for path in files:
        count = _rows(path)
        if count >= max_rows // 2:
            groups.append([])  # big enough already: left alone
            rows = 0
            continue
        if rows + count > max_rows and groups[-1]:
            groups.append([])
            rows = 0
        groups[-1].append(path)
        rows += count
    return [g for g in groups if len(g) > 1]


def compact(
    lake: Lake, *, min_files: int = 8, today: date | None = None, max_rows: int = 2_000_000
) -> CompactionReport:
    """Merge the small files of every partition that has ``min_files`` or more, or of
    any past day with more than one, into files of up to ``max_rows`` rows sorted by
    time (so memory stays bounded however big a day grows)."""
    head = lake.head()
    partitions = before = after = 0
    for folder in sorted(lake.events_dir.glob("class_uid=*/ward=*/day=*")):
        files = [p for p in _files(folder) if (_seq_of(p) or 0) <= head]
        day = date.fromisoformat(folder.name.removeprefix("day="))
        past = today is not None and day < today
        if len(files) < 2 or (len(files) < min_files and not past):
            continue
        groups = _groups(files, max_rows)
        for group in groups:
            _merge(lake, folder, group)
            before += len(group)
            after += 1
        partitions += bool(groups)
    return CompactionReport(partitions, before, after)


def _merge(lake: Lake, folder: Path, files: list[Path]) -> None:
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
