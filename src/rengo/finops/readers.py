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
from rengo.core.sql import literal
from rengo.finops.native import JsonRows, json_reader

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
    """parquet | csv (numbered by the reader) | arrow | jsonl | native-json"""
    types: dict[str, str] = field(default_factory=dict)
    """DuckDB type of each column."""


def _flatten(table: pa.Table) -> pa.Table:
    while any(pa.types.is_struct(f.type) for f in table.schema):
        table = table.flatten()
    return table


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
    con: duckdb.DuckDBPyConnection, path: Path, view: str, *, json_rows: JsonRows | None = None
) -> RawSource:
    """Create view ``view`` over ``path`` with a ``__row`` number (1 = first data row).

    ``json_rows`` reads a provider's JSON export; a ``.json`` file is read by the one
    converter that reads JSON when none is given.
    """
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", [Problem("file not found", str(path))])
    kind = kind_of(path)
    rejected: list[RejectedLine] = []
    if json_rows is None and kind == "json":
        reader = json_reader()
        json_rows = reader.read_json if reader is not None else None
    if json_rows is not None:
        rows, names = json_rows(path)
        table = pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in names]))
        con.register(f"{view}_arrow", table)
        body = f"SELECT * FROM {view}_arrow"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    elif kind == "parquet":
        schema = pq.read_schema(path)
        if any(pa.types.is_struct(f.type) for f in schema):
            con.register(f"{view}_arrow", _flatten(pq.read_table(path)))
            body = f"SELECT * FROM {view}_arrow"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        else:
            body = f"SELECT * FROM read_parquet({literal(path)}, file_row_number = true)"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    elif kind == "jsonl":
        try:
            table = _flatten(pa_json.read_json(path))
        except pa.ArrowInvalid as error:
            raise InvalidInput(
                f"{path.name}: not JSON lines", [Problem(str(error), path.name)]
            ) from None
        con.register(f"{view}_arrow", table)
        body = f"SELECT * FROM {view}_arrow"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    else:
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {view}_csv AS SELECT * FROM read_csv({literal(path)}, "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
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
            "SELECT line, arg_max(error_message, column_idx), any_value(csv_line) "  # noqa: S608 - relations and columns named by code
            f"FROM {view}_rejects GROUP BY line ORDER BY line"
        ).fetchall():
            rejected.append(RejectedLine(int(line), str(message), str(text or "")))
        body = f"SELECT * FROM {view}_csv"  # noqa: S608 - relations and columns named by code
    if "file_row_number = true" in body:
        # Numbered by the reader: no window over the whole file.
        numbered = f"SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM ({body})"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    elif body.endswith("_csv"):
        numbered = f"SELECT rowid + 1 AS __row, * FROM {view}_csv"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    else:
        numbered = f"SELECT row_number() OVER () AS __row, * FROM ({body})"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    con.execute(f"CREATE OR REPLACE VIEW {view} AS {numbered}")
    types = {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {view}").fetchall() if r[0] != "__row"}
    columns = list(types)
    count = con.execute(f"SELECT count(*) FROM {view}").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    source_kind = "native-json" if json_rows is not None else kind
    if kind == "parquet" and "file_row_number" not in body:
        source_kind = "arrow"  # flattened nested records, numbered by a window
    return RawSource(view, columns, int(count[0]) if count else 0, rejected, source_kind, types)
