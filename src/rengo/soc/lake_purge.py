"""Events of one sender, found and removed: how a cyber exercise's telemetry is purged.

An exercise sends its records as ``source=exercise:<id>`` (``origin=exercise``), so its
events are exactly those with that source. ``drop_source`` rewrites each event file that
holds some of them without them (the same atomic replace the lake writes with; a file
left empty is removed), and nothing else changes: other senders' events of the same
files are kept row for row.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from rengo.core.storage import fsync_directory
from rengo.core.types import TenantCode
from rengo.soc.lake import Lake
from rengo.soc.lake_files import write_parquet


def _files(lake: Lake, first: date, last: date, wards: list[TenantCode]) -> list[str]:
    return sorted({path for _, path in lake.event_files(first, last, wards=wards)})


def event_ids_of_source(
    lake: Lake, source: str, wards: list[TenantCode], first: date, last: date
) -> set[str]:
    """The ids of the events this sender sent to these wards between two UTC days."""
    relation = lake.source_of(_files(lake, first, last, wards))
    if relation is None:
        return set()
    cursor = lake.connect()
    try:
        rows = cursor.execute(
            f"SELECT event_id FROM {relation} WHERE source = ?",  # noqa: S608 - relation from the lake, value bound
            [source],
        ).fetchall()
    finally:
        cursor.close()
    return {str(r[0]) for r in rows}


def drop_source(lake: Lake, source: str, wards: list[TenantCode], first: date, last: date) -> int:
    """Remove this sender's events of these wards and days; return how many went."""
    removed = 0
    for name in _files(lake, first, last, wards):
        path = Path(name)
        table = pq.read_table(path)
        if "source" not in table.column_names:
            continue
        mine = pc.fill_null(pc.equal(table["source"], pa.scalar(source)), False)
        count = pc.sum(mine).as_py() or 0
        if not count:
            continue
        kept = table.filter(pc.invert(mine))
        if kept.num_rows == 0:
            path.unlink()
        else:
            write_parquet(kept, path)
        fsync_directory(path.parent)
        removed += int(count)
    return removed
