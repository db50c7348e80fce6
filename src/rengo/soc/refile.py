"""Moving events filed under the wrong partition to their own (``rengo soc compact --refile``).

Before 2026-11-27 a commit cut its rows into partitions by the order of pyarrow's
``group_by`` groups, which is not the order of the rows, so a commit spanning many
partitions filed some events under another class, ward or day. Searches prune by folder,
so such an event was invisible to its ward's and its day's searches. This pass reads the
key columns of every event file, and for a file holding rows of other partitions:

1. writes those rows to their own partitions, as files named ``r-<digest>-<n>.parquet``
   (names the lake always reads; the next day merge takes them in), synced;
2. replaces the file with the rows that belong to it, atomically.

The names of step 1 depend only on the file being repaired, so a pass cut short by a
crash between the two steps is repeated by the next pass without a duplicate left over.
Run it as the lake's writer (``rengo soc compact`` is).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rengo.core.storage import atomic_path, fsync_directory
from rengo.soc.lake import Lake, split_by_partition
from rengo.soc.lake_files import PARQUET_OPTIONS
from rengo.soc.maintenance import conformed


@dataclass(frozen=True, slots=True)
class RefileReport:
    files_checked: int
    files_repaired: int
    events_moved: int


def refile(lake: Lake) -> RefileReport:
    """Move every event filed under another partition to its own; see the module."""
    checked = repaired = moved = 0
    for path in sorted(lake.events_dir.rglob("*.parquet")):
        if path.name.startswith("."):
            continue
        checked += 1
        expected = _expected_keys(lake, path)
        keys = pq.read_table(path, columns=["class_uid", "ward", "time"])
        stray = _stray(keys, expected)
        if not pc.any(stray).as_py():
            continue
        table = conformed(pq.read_table(path))
        moving = table.filter(stray)
        _write_elsewhere(lake, path, moving)
        _replace(path, table.filter(pc.invert(stray)))
        repaired, moved = repaired + 1, moved + moving.num_rows
    return RefileReport(checked, repaired, moved)


def _expected_keys(lake: Lake, path: Path) -> dict[str, str]:
    """The keys a file's folders name: ``class_uid``, ``ward`` and ``day`` (a day file's
    folder names only the day)."""
    parts = path.relative_to(lake.events_dir).parts[:-1]
    return dict(part.split("=", 1) for part in parts)


def _stray(keys: pa.Table, expected: dict[str, str]) -> pa.ChunkedArray:
    """Rows whose class, ward or UTC day is not the one their folders name."""
    stray = pa.chunked_array([pa.repeat(False, keys.num_rows)])
    if "class_uid" in expected:
        stray = pc.or_(stray, pc.not_equal(keys["class_uid"], int(expected["class_uid"])))
    if "ward" in expected:
        stray = pc.or_(stray, pc.not_equal(keys["ward"], expected["ward"]))
    if "day" in expected:
        day = date.fromisoformat(expected["day"])
        stray = pc.or_(stray, pc.not_equal(pc.cast(keys["time"], pa.date32()), day))
    return stray


def _write_elsewhere(lake: Lake, source: Path, rows: pa.Table) -> None:
    digest = hashlib.sha256(str(source.relative_to(lake.root)).encode()).hexdigest()[:12]
    folders = set()
    for n, ((class_uid, ward, day), part) in enumerate(split_by_partition(rows)):
        folder = lake.events_dir / f"class_uid={class_uid}/ward={ward}/day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"r-{digest}-{n}.parquet"
        with atomic_path(target, sync_folder=False) as tmp:
            pq.write_table(part, tmp, **PARQUET_OPTIONS)
        folders.add(folder)
    for folder in folders:
        fsync_directory(folder)


def _replace(path: Path, rows: pa.Table) -> None:
    if rows.num_rows == 0:
        path.unlink()
    else:
        with atomic_path(path, sync_folder=False) as tmp:
            pq.write_table(rows, tmp, **PARQUET_OPTIONS)
    fsync_directory(path.parent)
