"""Lake upkeep: merging small files and dropping days past each ward's retention.

The newest files of a partition (class × ward × day) are merged as they gather, in
size tiers (``_newest_run``), so a busy partition is not rewritten whole each round. A past
day is merged whole into one file ``events/day=<D>/d-<seq>-….parquet``: every ward and
class of the day, sorted by ward, class and time, a row group never spanning two wards,
with Bloom filters on the columns searched for one value. Searching 14 days then opens
14 files instead of thousands (with a thousand small files DuckDB spent its time opening
them, not reading rows); ward, class and time filters skip row groups by statistics.

Compaction is crash-safe through a journal written before the merged file appears:
after a crash ``finish_interrupted_compaction`` either completes the swap (the merged
file exists, so the inputs go) or abandons it (the inputs stay), never both or neither;
readers skip inputs a merged file already holds (``Lake.event_files``). Both run in
the lake writer's upkeep thread beside commits: compaction takes only files of commits
already made, and a file committed meanwhile has a higher sequence than the merged file,
so readers keep it; retention holds the writer's commit lock while it removes a day.
A partition's run of files is merged into one file named for the commits it holds
(``c-<last>-<first>-…``; readers take compacted files newest first and skip what one they
took holds) by streaming row groups of at most ``MERGE_BATCH_ROWS`` rows, so memory
stays bounded however big the partition grows.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from rengo.core import sql
from rengo.core.storage import fsync_directory, move_into_place, write_atomically
from rengo.core.types import TenantCode
from rengo.soc.lake import Lake
from rengo.soc.lake_files import (
    BLOOM_COLUMNS,
    PARQUET_OPTIONS,
    compacted_options,
    compacted_range,
    seq_of,
    write_parquet,
)
from rengo.soc.schema import EVENT_SCHEMA

JOURNAL = "compaction.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DAY_ROW_GROUP = 131_072
MERGE_BATCH_ROWS = 131_072
"""Rows read, sorted and written at a time when a partition of today is merged."""


class LakeIntegrityError(RuntimeError):
    """A merge would not hold exactly the events of its inputs: nothing is swapped."""


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
        _remove_inputs(folder, entry["inputs"])
    journal.unlink()


def _remove_inputs(folder: Path, names: list[str]) -> None:
    """Delete merged inputs (names relative to ``folder``) and the folders they leave empty."""
    parents = set()
    for name in names:
        (folder / name).unlink(missing_ok=True)
        parents.add((folder / name).parent)
    for parent in parents:
        fsync_directory(parent)
        for empty in (parent, parent.parent, parent.parent.parent):
            if empty.name.startswith(("day=", "ward=", "class_uid=")):
                try:
                    empty.rmdir()
                except OSError:  # not empty (or already gone)
                    break


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def compact(
    lake: Lake,
    *,
    min_files: int = 8,
    today: date | None = None,
    memory_mb: int = 256,
    eager: bool = False,
    stop: threading.Event | None = None,
) -> CompactionReport:
    """Merge the newest files of each partition (see ``_newest_run``) and each past day
    into one file. Stragglers of a day merged before wait until they are a quarter of
    it or ``4 × min_files`` files; ``eager`` merges everything there is.

    ``stop`` set ends the work early (at the next partition, or the next slice of a day,
    whose merge is then abandoned): every swap is atomic, so the lake stays whole and the
    next round carries on. The writer's lock must not be let go while a merge runs."""
    stop = stop or threading.Event()
    head = lake.head()
    partitions = before = after = 0
    past_days: dict[date, list[Path]] = defaultdict(list)
    for folder in sorted(lake.events_dir.glob("class_uid=*/ward=*/day=*")):
        if stop.is_set():
            return CompactionReport(partitions, before, after)
        files = [p for p in _files(folder) if (seq_of(p) or 0) <= head]
        run = _newest_run(files, 2 if eager else min_files)
        if run:
            merged = _merge_partition_files(lake, folder, run, memory_mb, stop)
            if merged is None:
                return CompactionReport(partitions, before, after)
            files = [p for p in files if p not in run] + [merged]
            partitions, before, after = partitions + 1, before + len(run), after + 1
        day = date.fromisoformat(folder.name.removeprefix("day="))
        if today is not None and day < today:
            past_days[day] += files
    for day, files in sorted(past_days.items()):
        merged_files = _merge_day(lake, day, files, 0 if eager else min_files, memory_mb, stop)
        if merged_files:
            partitions, before, after = partitions + 1, before + merged_files, after + 1
    return CompactionReport(partitions, before, after)


def _newest_run(files: list[Path], min_files: int) -> list[Path]:
    """The newest files of a partition to merge now, oldest first (none: not yet).

    Size-tiered, so that a busy partition is not rewritten whole every round: the files
    of single commits (whatever their size) are the first tier; walking back from them,
    an older compacted file joins only while it holds no more rows than the files after
    it together. Every event is then rewritten about log2(n) times and a partition keeps
    about log2(n) files. A run is merged when it has ``min_files`` commits' files, or two
    compacted files (the next tier is full).
    """
    ordered = sorted(files, key=lambda p: _held(p)[1])
    commits = [p for p in ordered if seq_of(p) is not None]
    compacted = [p for p in ordered if seq_of(p) is None]
    run = list(commits)
    total = sum(pq.read_metadata(p).num_rows for p in commits)
    tiers = 0
    for path in reversed(compacted):
        if compacted_range(path.name) is None:
            break  # a file not named by the lake (copied in) stays as it is
        rows = pq.read_metadata(path).num_rows
        if run and rows > total:
            break
        run.insert(0, path)
        total += rows
        tiers += 1
    if len(run) < 2 or (len(commits) < min_files and tiers < 2):
        return []
    return sorted(run, key=lambda p: _held(p)[1])


def _held(path: Path) -> tuple[int, int]:
    """The commits (first, last) a file of a partition holds."""
    seq = seq_of(path)
    return (seq, seq) if seq is not None else (compacted_range(path.name) or (0, 0))


def conformed(batch: pa.RecordBatch) -> pa.Table:
    """A batch of any earlier event schema as ``EVENT_SCHEMA`` (missing columns null)."""
    names = batch.schema.names
    columns = [
        batch.column(names.index(f.name)).cast(f.type)
        if f.name in names
        else pa.nulls(batch.num_rows, f.type)
        for f in EVENT_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)


def _merge_partition_files(
    lake: Lake, folder: Path, files: list[Path], memory_mb: int, stop: threading.Event
) -> Path | None:
    """Merge ``files`` (commits in a row) into one file and return it; rows are sorted
    by time within each row group of at most ``MERGE_BATCH_ROWS`` rows (fewer when rows
    are so wide that fewer fit a quarter of ``memory_mb``)."""
    rows = sum(pq.read_metadata(p).num_rows for p in files)
    group_rows = _group_rows(files, memory_mb, MERGE_BATCH_ROWS)
    digest = hashlib.sha256("|".join(p.name for p in files).encode()).hexdigest()[:12]
    tmp = folder / f".merge-{digest}.tmp"
    options = compacted_options(min(rows, group_rows))
    del options["row_group_size"]
    with pq.ParquetWriter(tmp, EVENT_SCHEMA, **options) as writer:
        pending: list[pa.Table] = []
        size = 0
        for path in files:
            if stop.is_set():
                break
            for batch in pq.ParquetFile(path).iter_batches(batch_size=group_rows):
                pending.append(conformed(batch))
                size += batch.num_rows
                if size >= group_rows:
                    writer.write_table(_by_time(pending))
                    pending, size = [], 0
        if pending:
            writer.write_table(_by_time(pending))
    if stop.is_set():
        tmp.unlink(missing_ok=True)
        return None
    first = min(_held(p)[0] for p in files)
    last = max(_held(p)[1] for p in files)
    output = folder / f"c-{last:020d}-{first:020d}-{digest}.parquet"
    # The journal names the swap before it happens: a crash before the rename leaves no
    # output, and finish_interrupted_compaction then only drops the journal.
    write_atomically(
        _journal(lake),
        orjson.dumps(
            {
                "folder": str(folder.relative_to(lake.root)),
                "inputs": [p.name for p in files],
                "output": output.name,
            }
        ),
    )
    move_into_place(tmp, output)
    for path in files:
        path.unlink()
    fsync_directory(folder)
    _journal(lake).unlink()
    return output


def _by_time(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables).sort_by([("time", "ascending"), ("event_id", "ascending")])


def _merge_day(
    lake: Lake, day: date, files: list[Path], min_files: int, memory_mb: int, stop: threading.Event
) -> int:
    """Merge a past day's partition files (and its merged file, if any) into one file;
    return the number of files merged. Late events of a day merged before wait until
    they are a quarter of it or ``4 × min_files`` files (they are read from their
    partitions meanwhile): merging a few rows into a big day rewrites all of it."""
    folder = lake.events_dir / f"day={day.isoformat()}"
    previous = _files(folder) if folder.exists() else []
    if not files:
        return 0
    if previous and min_files:
        late = sum(pq.read_metadata(p).num_rows for p in files)
        if late * 4 < sum(pq.read_metadata(p).num_rows for p in previous) and len(files) < 4 * max(
            1, min_files
        ):
            return 0
    paths = [*files, *previous]
    # The wards are taken from the rows, not from folder names: a file filed under the
    # wrong ward (written before commits were partitioned correctly) loses nothing.
    wards: set[str] = set()
    for path in paths:
        wards.update(_wards_in(path))
    rows_in = sum(pq.read_metadata(p).num_rows for p in paths)
    group_rows = _group_rows(paths, memory_mb, DAY_ROW_GROUP)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".d-{day.isoformat()}.tmp"
    max_seq = rows_out = 0
    with (
        _sorter(lake, memory_mb) as sorter,
        pq.ParquetWriter(tmp, EVENT_SCHEMA, **_day_file_options()) as writer,
    ):
        for ward in sorted(wards):
            if stop.is_set():
                break
            for table in _row_groups(sorter, paths, ward, group_rows):
                if stop.is_set():
                    break
                max_seq = max(max_seq, pc_max(table))
                rows_out += table.num_rows
                writer.write_table(table, row_group_size=DAY_ROW_GROUP)
    if stop.is_set():
        tmp.unlink(missing_ok=True)
        return 0
    if rows_out != rows_in:
        tmp.unlink(missing_ok=True)
        raise LakeIntegrityError(
            f"merging day {day}: {rows_in} events in {len(paths)} files but {rows_out} "
            "merged; the files are kept as they are"
        )
    inputs = [str(p.relative_to(lake.root)) for p in [*files, *previous]]
    digest = hashlib.sha256("|".join(inputs).encode()).hexdigest()[:12]
    output = folder / f"d-{max_seq:020d}-{digest}.parquet"
    write_atomically(
        _journal(lake),
        orjson.dumps(
            {"folder": ".", "inputs": inputs, "output": str(output.relative_to(lake.root))}
        ),
    )
    move_into_place(tmp, output)
    _remove_inputs(lake.root, inputs)
    _journal(lake).unlink()
    return len(inputs)


@contextmanager
def _sorter(lake: Lake, memory_mb: int) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB database for sorting a day within ``memory_mb``."""
    spill = lake.root / ".spill"
    spill.mkdir(exist_ok=True)
    connection = duckdb.connect(
        config={
            "threads": 1,  # upkeep runs beside ingest; it must not take the writer's core
            "memory_limit": f"{memory_mb}MB",
            "temp_directory": str(spill),
        }
    )
    connection.execute("SET enable_progress_bar = false")
    try:
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)


def _row_groups(
    connection: duckdb.DuckDBPyConnection, paths: list[Path], ward: TenantCode, group_rows: int
) -> Iterator[pa.Table]:
    """A ward's events of ``paths`` sorted by class, time and id, as tables of
    ``group_rows`` rows (the last one shorter), every column as ``EVENT_SCHEMA``.

    A busy ward's day is bigger than memory, and DuckDB's sort of wide rows (the raw
    record, the original fields) does not keep to its memory limit. So the day is cut
    into slices of whole seconds of one class that fit the budget (counted first, from
    the ``time`` column alone), and each slice is read (row groups pruned by their time
    statistics) and sorted on its own. A second holding more than a slice (a flood, or
    senders stamping whole seconds) is cut by ranges of event id: within that second the
    file is then in order of time within each range.
    """
    files = sql.literal_list(paths)
    source = f"read_parquet([{files}], union_by_name=true, hive_partitioning=false)"
    seconds = connection.sql(
        f"SELECT class_uid, epoch_us(time) // 1000000 AS second, count(*) FROM {source} "  # noqa: S608 - file list quoted by rengo.core.sql, values bound
        "WHERE ward = ? GROUP BY ALL ORDER BY ALL",
        params=[ward],
    ).fetchall()
    pending: list[pa.Table] = []
    rows = 0
    for class_uid, first, end, parts in _slices(seconds, group_rows):
        for low, high in _id_ranges(parts):
            table = connection.sql(
                f"SELECT * FROM {source} WHERE ward = ? AND class_uid = ? AND time >= ? "  # noqa: S608 - file list quoted by rengo.core.sql, values bound
                "AND time < ? AND event_id >= ? AND (? IS NULL OR event_id < ?) "
                "ORDER BY time, event_id",
                params=[ward, class_uid, _second(first), _second(end), low, high, high],
            ).to_arrow_table()
            pending.append(conformed(table))
            rows += table.num_rows
            while rows >= group_rows:
                whole = pa.concat_tables(pending)
                yield whole.slice(0, group_rows)
                rest = whole.slice(group_rows)
                pending, rows = [rest], rest.num_rows
    if rows:
        yield pa.concat_tables(pending)


def _slices(
    seconds: list[tuple[int, int, int]], slice_rows: int
) -> Iterator[tuple[int, int, int, int]]:
    """(class, first second, second after the last, parts) of consecutive seconds of one
    class holding at most ``slice_rows`` rows; a single second holding more is a slice
    of its own, in ``parts`` ranges of event id."""
    current: list[int] = []  # class, first second, last second, rows
    for class_uid, second, count in seconds:
        if current and (current[0] != class_uid or current[3] + count > slice_rows):
            yield current[0], current[1], current[2] + 1, 1
            current = []
        if count > slice_rows:
            yield class_uid, second, second + 1, -(-count // slice_rows)
            continue
        if not current:
            current = [class_uid, second, second, 0]
        current[2] = second
        current[3] += count
    if current:
        yield current[0], current[1], current[2] + 1, 1


def _id_ranges(parts: int) -> list[tuple[str, str | None]]:
    """``parts`` ranges [low, high) covering every event id (ids are hexadecimal digests,
    so ranges of their first four digits hold about as many ids each)."""
    bounds = [f"{n * 65536 // parts:04x}" for n in range(1, parts)]
    return list(zip(["", *bounds], [*bounds, None], strict=True))


def _second(number: int) -> datetime:
    return EPOCH + timedelta(seconds=number)


def _group_rows(paths: list[Path], memory_mb: int, most: int) -> int:
    """Rows a merge holds at a time: at most ``most``, fewer when rows are so wide that
    they would take more than a quarter of ``memory_mb`` (the rows, their sorted copy and
    the writer's buffers share it)."""
    return min(most, max(2048, (memory_mb << 20) // 4 // _bytes_per_row(paths)))


def _bytes_per_row(paths: list[Path]) -> int:
    """Bytes a row of these files takes in memory, from a sample of the newest one (the
    footers' sizes are of encoded data: repeated values cost nothing there)."""
    with pq.ParquetFile(max(paths, key=lambda p: _held(p)[1])) as parquet:
        sample = next(parquet.iter_batches(batch_size=4096), None)
    if sample is None or sample.num_rows == 0:
        return 1024
    rows: int = sample.num_rows
    return max(1, int(sample.nbytes) // rows)


def _day_file_options() -> dict[str, Any]:
    bloom = {name: {"ndv": DAY_ROW_GROUP, "fpp": 0.05} for name in BLOOM_COLUMNS}
    return {"compression": PARQUET_OPTIONS["compression"], "bloom_filter_options": bloom}


def _wards_in(path: Path) -> set[str]:
    return set(pq.read_table(path, columns=["ward"]).column("ward").unique().to_pylist())


def pc_max(table: pa.Table) -> int:
    import pyarrow.compute as pc  # slow to import: only the writer's upkeep needs it

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
    for folder in lake.events_dir.glob("day=*"):
        day = date.fromisoformat(folder.name.removeprefix("day="))
        removed += _expire_wards_of_day(lake, folder, day, now, default_days, per_ward)
    return removed


def _expire_wards_of_day(
    lake: Lake, folder: Path, day: date, now: datetime, default_days: int, per_ward: dict[str, int]
) -> int:
    """Drop from a merged day the wards whose retention it passed: the whole folder when
    none is left, else the file is rewritten without them (the same journalled swap)."""

    def expired(ward: TenantCode) -> bool:
        return day < (now - timedelta(days=per_ward.get(ward, default_days))).date()

    files = {path: _wards_in(path) for path in _files(folder)}
    if all(expired(w) for wards in files.values() for w in wards):
        shutil.rmtree(folder)
        return 1
    removed = 0
    for path, wards in files.items():
        gone = {w for w in wards if expired(w)}
        if not gone:
            continue
        import pyarrow.compute as pc

        table = pq.read_table(path, schema=EVENT_SCHEMA)
        keep = pc.invert(pc.is_in(table["ward"], pa.array(sorted(gone))))
        output = path.with_name(f"{path.stem}-r{len(gone)}.parquet")
        write_atomically(
            _journal(lake),
            orjson.dumps(
                {
                    "folder": str(folder.relative_to(lake.root)),
                    "inputs": [path.name],
                    "output": output.name,
                }
            ),
        )
        write_parquet(table.filter(keep), output, _day_file_options())
        fsync_directory(folder)
        _remove_inputs(folder, [path.name])
        _journal(lake).unlink()
        removed += 1
    return removed
