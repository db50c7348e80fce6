"""Running converted rules as DuckDB SQL (hunting queries, ``rengo soc rules convert``).

The engine evaluates rules with Arrow kernels; this module is the SQL reading of the
same IR, for analysts who want a query they can run or adapt in DuckDB over the lake.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa
from duckdb import func

from rengo.soc.detect.ir import PCRE_FUNCTION, SEGMENT_FUNCTION
from rengo.soc.detect.segments import SegmentRanges


@lru_cache(maxsize=4096)
def _regex(pattern: str):  # type: ignore[no-untyped-def]
    import re

    return re.compile(pattern)


def _pcre(values: pa.Array, patterns: pa.Array) -> pa.Array:
    out: list[bool | None] = []
    for value, pattern in zip(values.to_pylist(), patterns.to_pylist(), strict=True):
        if value is None or pattern is None:
            out.append(None)
        else:
            out.append(_regex(pattern).search(value) is not None)
    return pa.array(out, type=pa.bool_())


def register_functions(
    con: duckdb.DuckDBPyConnection, segments: SegmentRanges | None = None
) -> duckdb.DuckDBPyConnection:
    """Register ``rengo_pcre(value, pattern)`` (Python ``re`` search) and
    ``rengo_in_segment(ward, address, segment)`` (over ``segments``) on ``con``."""
    text = duckdb.sqltype("VARCHAR")
    con.create_function(
        PCRE_FUNCTION, _pcre, [text, text], duckdb.sqltype("BOOLEAN"), type=func.ARROW
    )
    ranges = segments or SegmentRanges()

    def in_segment(wards: pa.Array, addresses: pa.Array, names: pa.Array) -> pa.Array:
        return pa.array(
            [
                ranges.contains(w, a, n)
                for w, a, n in zip(
                    wards.to_pylist(), addresses.to_pylist(), names.to_pylist(), strict=True
                )
            ],
            type=pa.bool_(),
        )

    con.create_function(
        SEGMENT_FUNCTION, in_segment, [text, text, text], duckdb.sqltype("BOOLEAN"), type=func.ARROW
    )
    return con
