"""Open a billing file (CSV, CSV.gz, Parquet, JSON lines, Sakura JSON) as a DuckDB view.

CSV cells are read as text so that nothing is lost before it is checked; lines DuckDB
cannot split into the header's columns are kept as rejected lines (line number, error,
text) rather than skipped silently. Nested records (Google's BigQuery export) are
flattened to ``parent.child`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from rengo.core.errors import InvalidInput, Problem

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.gzip", ".txt")


@dataclass(slots=True)
class RejectedLine:
    line: int
    error: str
    text: str


@dataclass(slots=True)
class RawSource:
    view: str
    columns: list[str]
    rows: int
    rejected: list[RejectedLine] = field(default_factory=list)
    kind: str = ""
    """parquet | csv (numbered by the reader) | arrow | json | jsonl | sakura"""
    types: dict[str, str] = field(default_factory=dict)
    """DuckDB type of each column."""


def _flatten(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise InvalidInput(
        f"{path.name}: unknown file type",
        [Problem("expected .csv, .csv.gz, .parquet, .jsonl or .json", path.name)],
    )


def open_raw(
    con: duckdb.DuckDBPyConnection, path: Path, view: str, *, sakura: bool = False
) -> RawSource:
    """Create view ``view`` over ``path`` with a ``__row`` number (1 = first data row)."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", [Problem("file not found", str(path))])
    kind = kind_of(path)
    rejected: list[RejectedLine] = []
    if sakura or kind == "json":
        from rengo.finops.native.sakura import SAKURA_COLUMNS, read_rows

        rows = read_rows(path)
        table = pa.Table.from_pylist(
            rows, schema=pa.schema([(c, pa.string()) for c in SAKURA_COLUMNS])
        )
        con.register(f"{view}_arrow", table)
        body = f"SELECT * FROM {view}_arrow"
    elif kind == "parquet":
        schema = pq.read_schema(path)
        if any(pa.types.is_struct(f.type) for f in schema):
            con.register(f"{view}_arrow", _flatten(pq.read_table(path)))
            body = f"SELECT * FROM {view}_arrow"
        else:
            body = f"SELECT * FROM read_parquet({_lit(path)}, file_row_number = true)"
    elif kind == "jsonl":
        try:
            table = _flatten(pa_json.read_json(path))
        except pa.ArrowInvalid as error:
            raise InvalidInput(
                f"{path.name}: not JSON lines", [Problem(str(error), path.name)]
            ) from None
        con.register(f"{view}_arrow", table)
        body = f"SELECT * FROM {view}_arrow"
    else:
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {view}_csv AS SELECT * FROM read_csv({_lit(path)}, "
                "all_varchar = true, header = true, store_rejects = true, "
                f"rejects_table = '{view}_rejects', rejects_scan = '{view}_scans', "
                "parallel = true, null_padding = false)"
            )
        except duckdb.Error as error:
            raise InvalidInput(
                f"{path.name}: cannot be read as CSV",
                [Problem(str(error).splitlines()[0], path.name)],
            ) from None
        # DuckDB logs a line once per cell past the header's: one rejected line each,
        # with the message that counts them all.
        for line, message, text in con.execute(
            "SELECT line, arg_max(error_message, column_idx), any_value(csv_line) "
            f"FROM {view}_rejects GROUP BY line ORDER BY line"
        ).fetchall():
            rejected.append(RejectedLine(int(line), str(message), str(text or "")))
        body = f"SELECT * FROM {view}_csv"
    if "file_row_number = true" in body:
        # Numbered by the reader: no window over the whole file.
        numbered = f"SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM ({body})"
    elif body.endswith("_csv"):
        numbered = f"SELECT rowid + 1 AS __row, * FROM {view}_csv"
    else:
        numbered = f"SELECT row_number() OVER () AS __row, * FROM ({body})"
    con.execute(f"CREATE OR REPLACE VIEW {view} AS {numbered}")
    types = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall() if r[0] != "__row"}
    columns = list(types)
    count = con.execute(f"SELECT count(*) FROM {view}").fetchone()
    source_kind = "sakura" if sakura else kind
    if kind == "parquet" and "file_row_number" not in body:
        source_kind = "arrow"  # flattened nested records, numbered by a window
    return RawSource(view, columns, int(count[0]) if count else 0, rejected, source_kind, types)
