"""Parquet files of EVENT_SCHEMA rows as parts that each detecting process reads itself.

Decoding Parquet (above all the ``unmapped`` map) costs about as much as evaluating the
rules, so a bulk run hands each process the row groups it evaluates
(``Detector.run_parts``) instead of reading everything in one process and shipping it.
"""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from rengo.soc.schema import EVENT_SCHEMA

DETECT_COLUMNS = tuple(name for name in EVENT_SCHEMA.names if name != "raw")
"""What detection reads: everything but the raw record (the queue reads that on demand)."""


def read_row_groups(path: Path, groups: list[int], columns: tuple[str, ...]) -> pa.Table:
    # One thread: the other cores are busy evaluating their own parts.
    return pq.ParquetFile(path).read_row_groups(groups, columns=list(columns), use_threads=False)


def parquet_parts(
    path: Path,
    parts: int,
    columns: tuple[str, ...] = DETECT_COLUMNS,
    first_share: float | None = None,
) -> list[partial[pa.Table]]:
    """Loaders of ``path``'s row groups split into at most ``parts`` contiguous runs.

    ``first_share``: the fraction of the row groups the first run gets (the calling
    process, which also builds detections and runs correlations); equal shares otherwise.
    """
    count = pq.ParquetFile(path).metadata.num_row_groups
    first = round(count * (first_share if first_share is not None else 1 / parts))
    first = max(1, min(count, first)) if parts > 1 else count
    bounds = [0, first, *(first + (count - first) * i // (parts - 1) for i in range(1, parts))]
    runs = [list(range(a, b)) for a, b in itertools.pairwise(bounds)]
    return [partial(read_row_groups, path, run, columns) for run in runs if run]
