"""The lake's files: how they are named, written and made durable, and which of a
folder's files a reader takes (a commit's own ``p-<seq>-<k>.parquet`` or the compacted
``c-…``/``d-…`` files holding it).

Split from ``lake.py`` so that compaction (``maintenance.py``) writes and names files
through the same functions as a commit without importing the lake's internals.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from rengo.core.storage import atomic_path

T = TypeVar("T")
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "row_group_size": 256_000}
BLOOM_COLUMNS = ("src_ip", "dst_ip", "user_name", "device_hostname", "event_id")
"""Columns people search for one value of: compacted files carry a Bloom filter for each,
so DuckDB skips a file's row group without reading the column when the value is absent."""


@cache
def io_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4, thread_name_prefix="soc-lake-io")


def in_parallel(work: Callable[[T], object], items: list[T]) -> None:
    """``work`` on every item, several at once: Parquet encoding and fsync release the
    GIL, and the file system commits concurrent fsyncs together (a commit of a folder
    of EVTX files spanning years touches hundreds of partitions)."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    for _ in io_threads().map(work, items):
        pass


def compacted_options(group_rows: int) -> dict[str, Any]:
    """How compaction writes a partition's one file: sorted rows, Bloom-filtered columns.

    A Bloom filter is per row group and held in memory until the file is closed, so it is
    sized for the rows of one group (sized for the whole file, a merge of 800,000 events
    in 49 groups carried 245 MB of filters for 16 MB of data)."""
    bloom = {name: {"ndv": max(group_rows, 1_000), "fpp": 0.02} for name in BLOOM_COLUMNS}
    return {**PARQUET_OPTIONS, "bloom_filter_options": bloom}


SMALL_FILE_ROWS = 2_048
SMALL_FILE_OPTIONS: dict[str, Any] = {**PARQUET_OPTIONS, "compression": "snappy"}
"""A commit's file of a few rows is written with snappy: zstd sets up a context for each
of the 50-odd columns (3.3 ms a file against 1.0 ms), and an EVTX folder spanning years
writes hundreds of such files per commit. Compaction rewrites them with zstd."""


def write_parquet(
    table: pa.Table, path: Path, options: dict[str, Any] | None = None, *, sync: bool = True
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if options is None:
        options = SMALL_FILE_OPTIONS if table.num_rows < SMALL_FILE_ROWS else PARQUET_OPTIONS
    with atomic_path(path, sync_file=sync, sync_folder=False) as tmp:
        pq.write_table(table, tmp, **options)


SYNC_EACH_UP_TO = 16
"""A commit of more files than this is made durable with one syncfs(2) where there is one."""


@cache
def syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):  # not Linux
        return None


def sync_file_system(path: Path) -> None:
    """syncfs(2) on the file system holding ``path`` (only called where ``syncfs()``)."""
    call = syncfs()
    assert call is not None
    fd = os.open(path, os.O_RDONLY)
    try:
        if call(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed", str(path))
    finally:
        os.close(fd)


def seq_of(path: Path) -> int | None:
    """The commit sequence in a file name ``p-<seq>-<k>.parquet``; ``None`` for others."""
    parts = path.stem.split("-")
    if len(parts) == 3 and parts[0] == "p" and parts[1].isdigit():
        return int(parts[1])
    return None


def compacted_range(name: str) -> tuple[int, int] | None:
    """The commits (first, last) a compacted file holds: ``c-<last>-<first>-<digest>``
    for a partition's merged files; a day file ``d-<last>-<digest>`` (and a partition file
    of that older form) holds every commit up to ``last``. ``None`` for other files."""
    parts = name.removesuffix(".parquet").split("-")
    if len(parts) < 3 or parts[0] not in ("c", "d") or not parts[1].isdigit():
        return None
    if len(parts) == 4 and parts[2].isdigit():
        return int(parts[2]), int(parts[1])
    return 0, int(parts[1])


def files_to_read(folder: Path, head: int, floor: int = -1) -> tuple[list[str], int]:
    """The files of a folder to read, and the last commit its compacted files hold.

    Compacted files are taken newest first, each unless it overlaps one already taken (the
    inputs of a merge whose swap is under way: the merged file holds them); a commit's own
    file is read unless a compacted file taken holds its commit, or it is above ``head``
    (being written), or at or below ``floor`` (held by the day's merged file).
    """
    try:
        entries = [
            e
            for e in os.scandir(folder)
            if e.name.endswith(".parquet") and not e.name.startswith(".")
        ]
    except FileNotFoundError:  # merged away or dropped by retention meanwhile
        return [], floor
    compacted = sorted(
        ((held, e.path) for e in entries if (held := compacted_range(e.name)) is not None),
        key=lambda item: (-item[0][1], item[0][0]),
    )
    taken: list[tuple[int, int]] = []
    out: list[str] = []
    for (first, last), path in compacted:
        if last > floor and not any(
            first <= t_last and t_first <= last for t_first, t_last in taken
        ):
            taken.append((first, last))
            out.append(path)
    for entry in entries:
        seq = seq_of(Path(entry.name))
        if seq is None:
            if compacted_range(entry.name) is None:
                out.append(entry.path)  # not named by the lake (e.g. copied in): always read
        elif floor < seq <= head and not any(first <= seq <= last for first, last in taken):
            out.append(entry.path)
    return out, max([floor, *(last for _, last in taken)])
