"""The Parquet lake of normalised events, and the one way other code reads it.

Layout under ``<data_dir>/lake/soc/``::

    events/class_uid=<n>/ward=<code>/day=<YYYY-MM-DD>/p-<seq>-<k>.parquet   one commit
    events/…/c-<last>-<first>-<digest>.parquet            commits first…last, compacted
    events/day=<YYYY-MM-DD>/d-<last>-<digest>.parquet     a past day, every commit to last
    quarantine/ward=<code>/day=<YYYY-MM-DD>/p-<seq>-0.parquet               rejected records
    head.json        {"position": P, "at": T}: every spooled batch below P is stored, as of T
    commits.log      one JSON line per commit: its seq and the partitions it touched
    schema/added-<digest>.parquet    no rows, the columns added since: older files read them as null

A commit is the unit of atomicity: its files are written (fsync'd, renamed into
place), then ``commits.log`` and ``head.json`` say so. Files of a commit newer than the
head are leftovers of a crash and are removed by ``recovery.recover`` before anything
else, so that re-draining the spool from the head neither loses nor duplicates an event.

Readers (search, detection) use ``scan`` and ``changes`` — see docs/soc.md. They name
the files to read (``event_files``: only the partitions of the wards, classes and days
asked for, only committed files) instead of letting DuckDB glob the whole tree, and share
one in-process DuckDB database per lake whose Parquet footer cache outlives a query:
with a thousand files, listing and opening them cost more than reading the rows.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import os
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rengo.core import sql
from rengo.core.storage import atomic_path, fsync_directory, write_atomically
from rengo.core.types import TenantCode
from rengo.soc.lake_files import (
    SYNC_EACH_UP_TO,
    files_to_read,
    in_parallel,
    sync_file_system,
    syncfs,
    write_parquet,
)
from rengo.soc.schema import ADDED_COLUMNS, EVENT_SCHEMA

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


@dataclass(frozen=True, slots=True)
class Commit:
    seq: int
    partitions: tuple[str, ...]
    events: int
    quarantined: int


EVENT_STRUCT = pa.struct(list(EVENT_SCHEMA))
ADDED_SCHEMA = pa.schema([EVENT_SCHEMA.field(name) for name in ADDED_COLUMNS])
ADDED_DIGEST = hashlib.sha256(ADDED_SCHEMA.to_string().encode()).hexdigest()[:12]


def events_table(events: list[dict[str, Any]]) -> pa.Table:
    """Columns of ``EVENT_SCHEMA`` from event dicts (missing keys are nulls).

    One conversion to a struct array: Arrow looks the keys up in C++, about three
    times faster than a Python pass per column.
    """
    return pa.Table.from_struct_array(pa.array(events, type=EVENT_STRUCT))


def quarantine_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = [pa.array([r.get(f.name) for r in rows], type=f.type) for f in QUARANTINE_SCHEMA]
    return pa.Table.from_arrays(columns, schema=QUARANTINE_SCHEMA)


def split_by_partition(table: pa.Table) -> Iterator[tuple[tuple[int, str, date], pa.Table]]:
    """The rows of each (class, ward, UTC day), in key order, each sorted by time (stable).

    Runs of equal keys are found in the sorted rows themselves: the order of
    ``Table.group_by``'s groups is not the order of the rows (relying on it filed one
    ward's events under another ward's folder)."""
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
    changed = pa.array([False] * (table.num_rows - 1), pa.bool_())
    for name in ("class_uid", "ward", "day"):
        column = keys[name].combine_chunks()
        changed = pc.or_(changed, pc.not_equal(column.slice(1), column.slice(0, len(column) - 1)))
    starts = [0, *(pc.indices_nonzero(changed).to_numpy() + 1).tolist(), table.num_rows]
    for begin, end in itertools.pairwise(starts):
        key = (
            keys["class_uid"][begin].as_py(),
            keys["ward"][begin].as_py(),
            keys["day"][begin].as_py(),
        )
        yield key, table.slice(begin, end - begin)


class Lake:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.events_dir = root / "events"
        self.quarantine_dir = root / "quarantine"
        self.events_dir.mkdir(parents=True, exist_ok=True)
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        self._head_file = root / "head.json"
        self.log_file = root / "commits.log"
        self._db: duckdb.DuckDBPyConnection | None = None
        self._db_pid = 0
        self._db_lock = threading.Lock()

    # -- the head and the commit log -----------------------------------------------------

    def head(self) -> int:
        """The position up to which the spool is stored; also the newest ``ingest_seq``."""
        try:
            return int(orjson.loads(self._head_file.read_bytes())["position"])
        except FileNotFoundError:
            return 0

    def last_commit_at(self) -> datetime | None:
        """When the newest commit was made (``None``: never, or before this was kept)."""
        try:
            at = orjson.loads(self._head_file.read_bytes()).get("at")
        except FileNotFoundError:
            return None
        return datetime.fromisoformat(at) if at else None

    def commits(self, after: int = 0) -> list[Commit]:
        head = self.head()
        out = []
        try:
            lines = self.log_file.read_bytes().splitlines()
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

    def commit(
        self,
        seq: int,
        events: list[dict[str, Any]] | pa.Table,
        rejected: list[dict[str, Any]],
        ledger: dict[str, list[Any]] | None = None,
    ) -> Commit:
        """Store one drained chunk; ``seq`` is the spool position after it (the new head).

        ``events`` are event dicts or a table of ``EVENT_SCHEMA``; one file is written per
        (class, ward, day) partition, its rows in time order (ties in arrival order).
        ``ledger``: the ids and stream sequences of the NATS batches the chunk holds, kept
        in its commit log line so that a batch delivered again is not stored twice
        (``lake_shared``).
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
        for (class_uid, ward, day), rows in split_by_partition(table):
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
        if len(files) > SYNC_EACH_UP_TO and syncfs() is not None:
            # Hundreds of partitions (EVTX spanning years): one syncfs, not 2 fsyncs each.
            in_parallel(lambda item: write_parquet(*item, sync=False), files)
            sync_file_system(self.root)
        else:
            in_parallel(lambda item: write_parquet(*item), files)
            in_parallel(fsync_directory, folders)
        entry = {
            "seq": seq,
            "partitions": partitions,
            "events": table.num_rows,
            "quarantined": len(rejected),
        }
        if ledger is not None:
            entry.update(ledger)
        with open(self.log_file, "ab") as log:
            log.write(orjson.dumps(entry) + b"\n")
            log.flush()
            os.fsync(log.fileno())
        at = datetime.now(UTC).isoformat()
        write_atomically(self._head_file, orjson.dumps({"position": seq, "at": at}))
        return Commit(seq, tuple(partitions), table.num_rows, len(rejected))

    # -- reading ------------------------------------------------------------------------

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the lake's DuckDB database (close it after use; thread-safe)."""
        with self._db_lock:
            if self._db is None or self._db_pid != os.getpid():
                self._db = duckdb.connect(config={"threads": 2})
                self._db.execute("SET GLOBAL parquet_metadata_cache = true")
                self._db_pid = os.getpid()
            return self._db.cursor()

    def event_files(
        self,
        first_day: date | None = None,
        last_day: date | None = None,
        *,
        wards: frozenset[TenantCode] | list[TenantCode] | None = None,
        classes: tuple[int, ...] | list[int] | None = None,
        partitions: list[str] | None = None,
    ) -> list[tuple[date, str]]:
        """(day, path) of the committed event files holding the partitions asked for (some
        UTC days, inclusive, of some wards and classes; or named partitions), newest first.

        A past day merged by compaction is one file ``events/day=<D>/d-<seq>-….parquet``
        (every ward and class, sorted by ward, class and time; filter on the columns).
        Files a newer compacted file already holds are skipped, so a reader that lists
        during a compaction's swap sees every event once.
        """
        head = self.head()
        wanted: dict[date, list[Path]] = defaultdict(list)
        for folder in self._partition_folders(first_day, last_day, wards, classes, partitions):
            wanted[date.fromisoformat(folder.name.removeprefix("day="))].append(folder)
        if partitions is None:
            for folder in _subfolders(self.events_dir, "day=", None):
                day = date.fromisoformat(folder.name.removeprefix("day="))
                if (first_day is None or first_day <= day) and (
                    last_day is None or day <= last_day
                ):
                    wanted.setdefault(day, [])
        out: list[tuple[date, str]] = []
        for day, folders in wanted.items():
            merged, merged_seq = files_to_read(self.events_dir / f"day={day.isoformat()}", head)
            out += [(day, path) for path in merged]
            for folder in folders:
                files, _ = files_to_read(folder, head, floor=merged_seq)
                out += [(day, path) for path in files]
        out.sort(reverse=True)
        return out

    def _partition_folders(
        self,
        first_day: date | None,
        last_day: date | None,
        wards: frozenset[TenantCode] | list[TenantCode] | None,
        classes: tuple[int, ...] | list[int] | None,
        partitions: list[str] | None,
    ) -> Iterator[Path]:
        if partitions is not None:
            yield from (self.events_dir / p for p in partitions)
            return
        class_names = None if classes is None else {f"class_uid={c}" for c in classes}
        ward_names = None if wards is None else {f"ward={w}" for w in wards}
        first = f"day={first_day.isoformat()}" if first_day else ""
        last = f"day={last_day.isoformat()}" if last_day else "day=~"
        for class_dir in _subfolders(self.events_dir, "class_uid=", class_names):
            for ward_dir in _subfolders(class_dir, "ward=", ward_names):
                for day_dir in _subfolders(ward_dir, "day=", None):
                    if first <= day_dir.name <= last:
                        yield day_dir

    def source_of(
        self, files: list[str], *, filename: bool = False, with_day: bool = False
    ) -> str | None:
        """A DuckDB relation over these event files (with ``filename`` and
        ``file_row_number``, and ``day``, the UTC day of ``time``, when asked); ``None``
        when there are no files."""
        if not files:
            return None
        listing = sql.literal_list([*files, self._added_columns_file()])
        extra = ", filename=true, file_row_number=true" if filename else ""
        relation = f"read_parquet([{listing}], hive_partitioning=false, union_by_name=true{extra})"
        if with_day:
            return f"(SELECT *, CAST(timezone('UTC', time) AS DATE) AS day FROM {relation})"  # noqa: S608 - file list quoted by rengo.core.sql
        return relation

    def _added_columns_file(self) -> str:
        """An empty Parquet file of the ``ADDED_COLUMNS``, listed in every relation: DuckDB's
        ``union_by_name`` knows only the columns some listed file has, so without it a query
        naming ``file_hash_md5`` over files all written before that column fails instead of
        reading nulls. Only those columns: a file without ``ward`` is broken, not old."""
        path = self.root / "schema" / f"added-{ADDED_DIGEST}.parquet"
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            with atomic_path(path, sync_folder=False) as tmp:
                pq.write_table(ADDED_SCHEMA.empty_table(), tmp)
        return str(path)

    def rows_at(
        self, places: list[tuple[str, int]], columns: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Events (some ``columns``, default all) at (file, row number) places, in that
        order: only those columns of the row groups holding them are read (a filter on
        ``event_id`` would read that column of every file)."""
        fields = [f for f in EVENT_SCHEMA if columns is None or f.name in columns]
        schema = pa.schema(fields)
        found: dict[tuple[str, int], dict[str, Any]] = {}
        by_file: dict[str, list[int]] = defaultdict(list)
        for path, row in places:
            by_file[path].append(row)
        for path, rows in by_file.items():
            parquet = pq.ParquetFile(path)
            sizes = (parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups))
            starts = list(itertools.accumulate(sizes, initial=0))
            by_group: dict[int, list[int]] = defaultdict(list)
            for row in rows:
                by_group[bisect.bisect_right(starts, row) - 1].append(row)
            present = set(parquet.schema_arrow.names)
            for group, wanted in by_group.items():
                table = parquet.read_row_group(
                    group, columns=[f.name for f in fields if f.name in present], use_threads=False
                )
                table = table.take([row - starts[group] for row in wanted])
                arrays = [
                    table.column(f.name).cast(f.type)
                    if f.name in present
                    else pa.nulls(len(wanted), f.type)
                    for f in fields
                ]
                records = pa.Table.from_arrays(arrays, schema=schema).to_pylist()
                found.update(
                    ((path, row), record) for row, record in zip(wanted, records, strict=True)
                )
        return [found[place] for place in places]

    def events_source(self, partitions: list[str] | None = None) -> str | None:
        """A DuckDB relation over the events (or some partitions), with ``day``; ``None`` if
        empty. Prefer ``event_files`` + ``source_of`` for a time range: fewer files."""
        files = self.event_files(partitions=partitions)
        return self.source_of([path for _, path in files], with_day=True)

    def quarantine_source(self) -> str | None:
        if not any(self.quarantine_dir.glob("ward=*")):
            return None
        glob = sql.literal(self.quarantine_dir / "**" / "*.parquet")
        types = "hive_types={'ward': VARCHAR, 'day': DATE}"
        return f"read_parquet({glob}, hive_partitioning=true, {types})"

    def scan(
        self,
        since: datetime,
        until: datetime,
        *,
        wards: list[TenantCode] | None = None,
        classes: list[int] | None = None,
        columns: list[str] | None = None,
        where: str = "",
        batch_rows: int = 65_536,
    ) -> Iterator[pa.RecordBatch]:
        """Events with ``since <= time < until`` (of some wards / classes), in Arrow batches.

        Partition pruning on class, ward and day happens in DuckDB; ``where`` is an extra
        SQL condition for callers that know the columns (parameters are not taken).
        """
        files = self.event_files(
            since.astimezone(UTC).date(), until.astimezone(UTC).date(), wards=wards, classes=classes
        )
        source = self.source_of([path for _, path in files])
        if source is None:
            return
        conditions = ["time >= ?", "time < ?"]
        params: list[Any] = [since, until]
        if wards is not None:
            conditions.append(f"ward IN ({', '.join('?' for _ in wards) or 'NULL'})")
            params.extend(wards)
        if classes is not None:
            conditions.append(f"class_uid IN ({', '.join('?' for _ in classes) or 'NULL'})")
            params.extend(classes)
        if where:
            conditions.append(f"({where})")
        select = _select_list(columns)
        query = f"SELECT {select} FROM {source} WHERE {' AND '.join(conditions)} ORDER BY time"  # noqa: S608 - file list and column names quoted by rengo.core.sql, values bound
        connection = self.connect()
        try:
            reader = connection.sql(query, params=params).to_arrow_reader(batch_rows)
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
        select = _select_list(columns)
        connection = self.connect()
        try:
            table = connection.sql(
                f"SELECT {select} FROM {source} WHERE ingest_seq > ? AND ingest_seq <= ? "  # noqa: S608 - file list and column names quoted by rengo.core.sql, values bound
                "ORDER BY ingest_seq, time",
                params=[cursor, new_cursor],
            ).to_arrow_table()
        finally:
            connection.close()
        return table.to_batches(), new_cursor


def _select_list(columns: list[str] | None) -> str:
    """The quoted column names of a SELECT (all the event columns when ``None``)."""
    return ", ".join(sql.identifier(c) for c in (columns or EVENT_SCHEMA.names))


def _subfolders(folder: Path, prefix: str, wanted: set[str] | None) -> Iterator[Path]:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and (wanted is None or entry.name in wanted):
            yield Path(entry.path)
