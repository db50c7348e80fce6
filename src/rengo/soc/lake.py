"""The Parquet lake of normalised events, and the one way other code reads it.

Layout under ``<data_dir>/lake/soc/``::

    events/class_uid=<n>/ward=<code>/day=<YYYY-MM-DD>/p-<seq>-<k>.parquet   one commit
    events/…/c-<seq>-<digest>.parquet                                       compacted
    quarantine/ward=<code>/day=<YYYY-MM-DD>/p-<seq>-0.parquet               rejected records
    head.json        {"position": P}: every spooled batch below P is stored
    commits.log      one JSON line per commit: its seq and the partitions it touched

A commit is the unit of atomicity: its files are written (fsync'd, renamed into
place), then ``commits.log`` and ``head.json`` say so. Files of a commit newer than the
head are leftovers of a crash and are removed by ``recover`` before anything else, so
that re-draining the spool from the head neither loses nor duplicates an event.

Readers (search, detection) use ``scan`` and ``changes`` — see docs/soc.md.
"""

from __future__ import annotations

import ctypes
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rengo.core.storage import fsync_directory, write_atomically
from rengo.soc.schema import EVENT_SCHEMA

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("quarantine_id", pa.string(), nullable=False),
        pa.field("received", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ward", pa.string(), nullable=False),
        pa.field("origin", pa.string()),
        pa.field("source", pa.string()),
        pa.field("format", pa.string()),
        pa.field("location", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw", pa.binary()),
        pa.field("ingest_seq", pa.int64()),
    ]
)
T = TypeVar("T")
HIVE_TYPES = "{'class_uid': INTEGER, 'ward': VARCHAR, 'day': DATE}"
PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "row_group_size": 256_000}


@dataclass(frozen=True, slots=True)
class Commit:
    seq: int
    partitions: tuple[str, ...]
    events: int
    quarantined: int


EVENT_STRUCT = pa.struct(list(EVENT_SCHEMA))


def events_table(events: list[dict[str, Any]]) -> pa.Table:
    """Columns of ``EVENT_SCHEMA`` from event dicts (missing keys are nulls).

    One conversion to a struct array: Arrow looks the keys up in C++, about three
    times faster than a Python pass per column.
    """
    return pa.Table.from_struct_array(pa.array(events, type=EVENT_STRUCT))


def quarantine_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = [pa.array([r.get(f.name) for r in rows], type=f.type) for f in QUARANTINE_SCHEMA]
    return pa.Table.from_arrays(columns, schema=QUARANTINE_SCHEMA)


def _partitions(table: pa.Table) -> Iterator[tuple[tuple[int, str, date], pa.Table]]:
    """The rows of each (class, ward, UTC day), in key order, each sorted by time (stable)."""
    if table.num_rows == 0:
        return
    keys = pa.table(
        {
            "class_uid": table["class_uid"],
            "ward": table["ward"],
            "day": pc.cast(table["time"], pa.date32()),
            "time": table["time"],
        }
    )
    order = pc.sort_indices(keys, sort_keys=[(name, "ascending") for name in keys.column_names])
    table, keys = table.take(order), keys.take(order)
    groups = keys.group_by(["class_uid", "ward", "day"], use_threads=False).aggregate(
        [([], "count_all")]
    )
    offset = 0
    for class_uid, ward, day, count in zip(
        *(groups[name].to_pylist() for name in ("class_uid", "ward", "day", "count_all")),
        strict=True,
    ):
        yield (class_uid, ward, day), table.slice(offset, count)
        offset += count


@cache
def _io_threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(4, thread_name_prefix="soc-lake-io")


def _in_parallel(work: Callable[[T], object], items: list[T]) -> None:
    """``work`` on every item, several at once: Parquet encoding and fsync release the
    GIL, and the file system commits concurrent fsyncs together (a commit of a folder
    of EVTX files spanning years touches hundreds of partitions)."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    for _ in _io_threads().map(work, items):
        pass


def _write_parquet(table: pa.Table, path: Path, *, sync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, **PARQUET_OPTIONS)
    if sync:
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    os.replace(tmp, path)


SYNC_EACH_UP_TO = 16
"""A commit of more files than this is made durable with one syncfs(2) where there is one."""


@cache
def _syncfs() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not Linux
        return None


def _sync_file_system(path: Path) -> None:
    """syncfs(2) on the file system holding ``path`` (only called where ``_syncfs()``)."""
    syncfs = _syncfs()
    assert syncfs is not None
    fd = os.open(path, os.O_RDONLY)
    try:
        if syncfs(fd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs failed", str(path))
    finally:
        os.close(fd)


def _seq_of(path: Path) -> int | None:
    """The commit sequence in a file name ``p-<seq>-<k>.parquet``; ``None`` for others."""
    parts = path.stem.split("-")
    if len(parts) == 3 and parts[0] == "p" and parts[1].isdigit():
        return int(parts[1])
    return None


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.events_dir = root / "events"
        self.quarantine_dir = root / "quarantine"
        self.events_dir.mkdir(parents=True, exist_ok=True)
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        self._head_file = root / "head.json"
        self._log_file = root / "commits.log"

    # -- the head and the commit log -----------------------------------------------------

    def head(self) -> int:
        """The position up to which the spool is stored; also the newest ``ingest_seq``."""
        try:
            return int(orjson.loads(self._head_file.read_bytes())["position"])
        except FileNotFoundError:
            return 0

    def commits(self, after: int = 0) -> list[Commit]:
        head = self.head()
        out = []
        try:
            lines = self._log_file.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        for line in lines:
            if not line.strip():
                continue
            entry = orjson.loads(line)
            if after < entry["seq"] <= head:
                out.append(
                    Commit(
                        entry["seq"],
                        tuple(entry["partitions"]),
                        entry["events"],
                        entry["quarantined"],
                    )
                )
        return out

    def recover(self) -> int:
        """Remove what a crash left behind a commit; return the number of files removed."""
        head = self.head()
        removed = 0
        for folder in (self.events_dir, self.quarantine_dir):
            for path in folder.rglob("*"):
                if path.name.startswith(".") and ".tmp" in path.name:
                    path.unlink(missing_ok=True)
                    removed += 1
                elif (
                    path.suffix == ".parquet" and (seq := _seq_of(path)) is not None and seq > head
                ):
                    path.unlink()
                    removed += 1
        try:
            lines = self._log_file.read_bytes().splitlines()
        except FileNotFoundError:
            lines = []
        kept = [line for line in lines if line.strip() and orjson.loads(line)["seq"] <= head]
        if len(kept) != len([line for line in lines if line.strip()]):
            write_atomically(self._log_file, b"".join(line + b"\n" for line in kept))
        from rengo.soc.maintenance import finish_interrupted_compaction

        finish_interrupted_compaction(self)
        return removed

    def commit(
        self,
        seq: int,
        events: list[dict[str, Any]] | pa.Table,
        rejected: list[dict[str, Any]],
    ) -> Commit:
        """Store one drained chunk; ``seq`` is the spool position after it (the new head).

        ``events`` are event dicts or a table of ``EVENT_SCHEMA``; one file is written per
        (class, ward, day) partition, its rows in time order (ties in arrival order).
        """
        if seq <= self.head():
            raise ValueError(f"commit {seq} is not after the head {self.head()}")
        table = events if isinstance(events, pa.Table) else events_table(events)
        table = table.set_column(
            EVENT_SCHEMA.get_field_index("ingest_seq"),
            EVENT_SCHEMA.field("ingest_seq"),
            pa.repeat(pa.scalar(seq, pa.int64()), table.num_rows),
        )
        partitions: list[str] = []
        files: list[tuple[pa.Table, Path]] = []
        for (class_uid, ward, day), rows in _partitions(table):
            partition = f"class_uid={class_uid}/ward={ward}/day={day.isoformat()}"
            files.append((rows, self.events_dir / partition / f"p-{seq:020d}-0.parquet"))
            partitions.append(partition)
        quarantine_groups: dict[tuple[str, date], list[dict[str, Any]]] = defaultdict(list)
        for row in rejected:
            row["ingest_seq"] = seq
            quarantine_groups[(row["ward"], row["received"].date())].append(row)
        for (ward, day), rows in sorted(quarantine_groups.items()):
            path = self.quarantine_dir / f"ward={ward}/day={day.isoformat()}/p-{seq:020d}-0.parquet"
            files.append((quarantine_table(rows), path))
        folders = list({path.parent for _, path in files})
        if len(files) > SYNC_EACH_UP_TO and _syncfs() is not None:
            # Hundreds of partitions (EVTX spanning years): one syncfs, not 2 fsyncs each.
            _in_parallel(lambda item: _write_parquet(*item, sync=False), files)
            _sync_file_system(self.root)
        else:
            _in_parallel(lambda item: _write_parquet(*item), files)
            _in_parallel(fsync_directory, folders)
        entry = {
            "seq": seq,
            "partitions": partitions,
            "events": table.num_rows,
            "quarantined": len(rejected),
        }
        with open(self._log_file, "ab") as log:
            log.write(orjson.dumps(entry) + b"\n")
            log.flush()
            os.fsync(log.fileno())
        write_atomically(self._head_file, orjson.dumps({"position": seq}))
        return Commit(seq, tuple(partitions), table.num_rows, len(rejected))

    # -- reading ------------------------------------------------------------------------

    def connect(self) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(config={"threads": 2})
        return connection

    def events_source(self, partitions: list[str] | None = None) -> str | None:
        """A DuckDB ``read_parquet(…)`` over the events (or some partitions); ``None`` if empty."""
        if partitions is None:
            if not any(self.events_dir.glob("class_uid=*")):
                return None
            globs = [str(self.events_dir / "**" / "*.parquet")]
        else:
            globs = [
                str(self.events_dir / p / "*.parquet")
                for p in partitions
                if any((self.events_dir / p).glob("*.parquet"))
            ]
            if not globs:
                return None
        files = "[" + ", ".join(f"'{g}'" for g in globs) + "]"
        return (
            f"read_parquet({files}, hive_partitioning=true, hive_types={HIVE_TYPES}, "
            "union_by_name=true)"
        )

    def quarantine_source(self) -> str | None:
        if not any(self.quarantine_dir.glob("ward=*")):
            return None
        glob = self.quarantine_dir / "**" / "*.parquet"
        return f"read_parquet('{glob}', hive_partitioning=true, hive_types={{'ward': VARCHAR, 'day': DATE}})"

    def scan(
        self,
        since: datetime,
        until: datetime,
        *,
        wards: list[str] | None = None,
        classes: list[int] | None = None,
        columns: list[str] | None = None,
        where: str = "",
        batch_rows: int = 65_536,
    ) -> Iterator[pa.RecordBatch]:
        """Events with ``since <= time < until`` (of some wards / classes), in Arrow batches.

        Partition pruning on class, ward and day happens in DuckDB; ``where`` is an extra
        SQL condition for callers that know the columns (parameters are not taken).
        """
        source = self.events_source()
        if source is None:
            return
        conditions = [
            "day BETWEEN ?::DATE AND ?::DATE",
            "time >= ?",
            "time < ?",
        ]
        params: list[Any] = [(since - timedelta(days=1)).date(), until.date(), since, until]
        if wards is not None:
            conditions.append(f"ward IN ({', '.join('?' for _ in wards) or 'NULL'})")
            params.extend(wards)
        if classes is not None:
            conditions.append(f"class_uid IN ({', '.join('?' for _ in classes) or 'NULL'})")
            params.extend(classes)
        if where:
            conditions.append(f"({where})")
        select = ", ".join(columns) if columns else ", ".join(EVENT_SCHEMA.names)
        sql = f"SELECT {select} FROM {source} WHERE {' AND '.join(conditions)} ORDER BY time"
        connection = self.connect()
        try:
            reader = connection.sql(sql, params=params).to_arrow_reader(batch_rows)
            yield from reader
        finally:
            connection.close()

    def changes(
        self, cursor: int, *, columns: list[str] | None = None, limit_commits: int = 1000
    ) -> tuple[list[pa.RecordBatch], int]:
        """Events stored after ``cursor`` (an ``ingest_seq``), and the cursor to pass next.

        Start with ``cursor=0`` (or ``lake.head()`` to skip the past); only the
        partitions those commits touched are read.
        """
        commits = self.commits(after=cursor)[:limit_commits]
        if not commits:
            return [], cursor
        new_cursor = commits[-1].seq
        partitions = sorted({p for c in commits for p in c.partitions})
        source = self.events_source(partitions)
        if source is None:
            return [], new_cursor
        select = ", ".join(columns) if columns else ", ".join(EVENT_SCHEMA.names)
        connection = self.connect()
        try:
            table = connection.sql(
                f"SELECT {select} FROM {source} WHERE ingest_seq > ? AND ingest_seq <= ? "
                "ORDER BY ingest_seq, time",
                params=[cursor, new_cursor],
            ).to_arrow_table()
        finally:
            connection.close()
        return table.to_batches(), new_cursor
