"""Write the lake back out as FOCUS 1.2 (Parquet or CSV) — what the FOCUS validator checks.

Columns are the FOCUS 1.2 columns rengo holds values for, in the specification's
names and types (timestamps as ``YYYY-MM-DDTHH:mm:ssZ``), plus rengo's own columns,
which carry the ``x_`` prefix the specification requires of custom columns.

FOCUS 1.2 gives each ServiceName "one and only one ServiceCategory that best aligns with its
primary purpose" (and, SHOULD, one ServiceSubcategory). A bill can file one service under
two (the FOCUS sample puts EC2's EBS volumes under Storage): the export writes, for every
row of a ServiceName, the category and subcategory that carry most of its billed cost among
the exported rows, and keeps the row's own values in ``x_SourceServiceCategory`` /
``x_SourceServiceSubcategory`` where they differ. The lake keeps them as billed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import literal
from rengo.core.types import TenantCode
from rengo.finops import focus
from rengo.finops.lake import Lake, connection

_PRIMARY = ("ServiceCategory", "ServiceSubcategory")

_PRIMARY_SQL = """
SELECT ServiceName, ServiceCategory, ServiceSubcategory FROM (
    SELECT *,
           sum(cost) OVER (PARTITION BY ServiceName, ServiceCategory) AS category_cost,
           sum(n) OVER (PARTITION BY ServiceName, ServiceCategory) AS category_n
    FROM (
        SELECT ServiceName, ServiceCategory, ServiceSubcategory,
               sum(abs(coalesce(BilledCost, 0))) AS cost, count(*) AS n
        FROM r WHERE ServiceName IS NOT NULL GROUP BY ALL
    )
)
QUALIFY row_number() OVER (
    PARTITION BY ServiceName
    ORDER BY category_cost DESC, category_n DESC, cost DESC, n DESC,
             ServiceCategory, ServiceSubcategory
) = 1
"""
"""Per ServiceName, the (category, subcategory) its billed cost falls under most: the
category first, then the subcategory within it; ties go to more rows, then the name."""


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
            cols.append(f"strftime(r.{c.name}, '%Y-%m-%dT%H:%M:%SZ') AS {c.name}")
        elif c.name in _PRIMARY:
            cols.append(f"coalesce(p.{c.name}, r.{c.name}) AS {c.name}")
        else:
            cols.append(f"r.{c.name}")
    if custom:
        cols += [f"r.{name}" for name, _t in focus.LAKE_EXTRA_COLUMNS]
        cols += [
            f"CASE WHEN p.{n} IS DISTINCT FROM r.{n} THEN r.{n} END AS x_Source{n}"
            for n in _PRIMARY
        ]
    where = ["true"]
    if start:
        where.append(f"x_ChargeDate >= DATE '{start}'")
    if end:
        where.append(f"x_ChargeDate <= DATE '{end}'")
    if wards is not None:
        where.append(f"x_Ward IN ({', '.join(literal(w) for w in wards) or 'NULL'})")
    out.parent.mkdir(parents=True, exist_ok=True)
    with connection() as con:
        rows = f"SELECT * FROM {lake.relation_sql()} WHERE {' AND '.join(where)}"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        sql = (
            f"WITH r AS ({rows}), p AS ({_PRIMARY_SQL}) "  # noqa: S608 - SQL written in code
            f"SELECT {', '.join(cols)} FROM r LEFT JOIN p ON p.ServiceName = r.ServiceName"
        )
        options = "FORMAT csv, HEADER true" if kind == "csv" else "FORMAT parquet, COMPRESSION zstd"
        con.execute(f"COPY ({sql}) TO {literal(out)} ({options})")
        count = con.execute(f"SELECT count(*) FROM ({sql})").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    return int(count[0]) if count else 0
