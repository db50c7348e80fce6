"""Write the lake back out as FOCUS 1.2 (Parquet or CSV) — what the FOCUS validator checks.

Columns are the FOCUS 1.2 columns rengo holds values for, in the specification's
names and types (timestamps as ``YYYY-MM-DDTHH:mm:ssZ``), plus rengo's own columns,
which carry the ``x_`` prefix the specification requires of custom columns.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import literal
from rengo.core.types import TenantCode
from rengo.finops import focus
from rengo.finops.lake import Lake, connection


def export(
    lake: Lake,
    out: Path,
    *,
    start: date | None = None,
    end: date | None = None,
    wards: frozenset[TenantCode] | None = None,
    custom: bool = True,
) -> int:
    """Write FOCUS rows to ``out`` (.parquet or .csv); returns the number of rows."""
    kind = (
        "csv"
        if out.suffix.lower() == ".csv"
        else "parquet"
        if out.suffix.lower() == ".parquet"
        else None
    )
    if kind is None:
        raise InvalidInput(
            "unknown output type", [Problem("OUT ends in .parquet or .csv", str(out))]
        )
    cols = []
    for c in focus.columns():
        if c.data_type == "Date/Time" and kind == "csv":
            cols.append(f"strftime({c.name}, '%Y-%m-%dT%H:%M:%SZ') AS {c.name}")
        else:
            cols.append(c.name)
    if custom:
        cols += [name for name, _t in focus.LAKE_EXTRA_COLUMNS]
    where = ["true"]
    if start:
        where.append(f"x_ChargeDate >= DATE '{start}'")
    if end:
        where.append(f"x_ChargeDate <= DATE '{end}'")
    if wards is not None:
        where.append(f"x_Ward IN ({', '.join(literal(w) for w in wards) or 'NULL'})")
    out.parent.mkdir(parents=True, exist_ok=True)
    with connection() as con:
        sql = f"SELECT {', '.join(cols)} FROM {lake.relation_sql()} WHERE {' AND '.join(where)}"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        options = "FORMAT csv, HEADER true" if kind == "csv" else "FORMAT parquet, COMPRESSION zstd"
        con.execute(f"COPY ({sql}) TO {literal(out)} ({options})")
        count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    return int(count[0]) if count else 0
