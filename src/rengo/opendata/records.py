"""The records of tabular resources: one Parquet file per resource in the lake, read by
DuckDB for ``datastore_search`` and turned into normalised CSV, JSON and GeoJSON."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.storage import DataDir, write_atomically

LAT, LNG = "緯度", "経度"
MAX_LIMIT = 32_000
"""CKAN's datastore_search caps ``limit`` the same way."""


def path_for(data_dir: DataDir, resource_id: str) -> Path:
    return data_dir.lake("opendata") / f"{resource_id}.parquet"


def store(data_dir: DataDir, resource_id: str, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    write_atomically(path_for(data_dir, resource_id), buffer.getvalue())


def load(data_dir: DataDir, resource_id: str) -> pa.Table:
    path = path_for(data_dir, resource_id)
    if not path.exists():
        raise NotFound("resource {id} has no records", values={"id": resource_id})
    return pq.read_table(path)


@dataclass(frozen=True, slots=True)
class Records:
    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    total: int


def quoted(name: str) -> str:
    """A column name as a DuckDB identifier (names come from uploads)."""
    return '"' + name.replace('"', '""') + '"'


def _type(arrow_type: pa.DataType) -> str:
    return (
        "numeric" if pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type) else "text"
    )


def search(
    data_dir: DataDir,
    resource_id: str,
    *,
    q: str = "",
    filters: Mapping[str, Any] | None = None,
    sort: str = "",
    limit: int = 100,
    offset: int = 0,
) -> Records:
    """Filter (column = value, values bound), full-text ``q`` over every column, sort, page."""
    path = path_for(data_dir, resource_id)
    if not path.exists():
        raise NotFound("resource {id} has no records", values={"id": resource_id})
    if not 0 <= limit <= MAX_LIMIT or offset < 0:
        raise InvalidInput(
            "limit must be 0-{max} and offset not negative",
            [Problem("out of range", "limit")],
            values={"max": MAX_LIMIT},
        )
    schema = pq.read_schema(path)
    names = schema.names
    where, params = [], [str(path)]
    for column, value in (filters or {}).items():
        if column not in names:
            raise InvalidInput("unknown field in filters", [Problem(column, "filters")])
        values = value if isinstance(value, list) else [value]
        marks = ", ".join("?" * len(values))
        where.append(f"CAST({quoted(column)} AS VARCHAR) IN ({marks})")
        params.extend(str(v) for v in values)
    if q:
        everything = ", ".join(f"CAST({quoted(n)} AS VARCHAR)" for n in names)
        where.append(f"concat_ws(' ', {everything}) ILIKE ?")
        params.append(f"%{q}%")
    order = []
    for part in filter(None, (p.strip() for p in sort.split(","))):
        column, _, direction = part.partition(" ")
        if column not in names or direction.lower() not in ("", "asc", "desc"):
            raise InvalidInput("cannot sort by that", [Problem(part, "sort")])
        order.append(f"{quoted(column)} {direction.upper() or 'ASC'}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    by = f" ORDER BY {', '.join(order)}" if order else ""
    with duckdb.connect() as con:
        counted = con.sql(f"SELECT count(*) AS n FROM read_parquet(?){clause}", params=params)  # noqa: S608 - table and column names from code, values bound
        total = counted.to_arrow_table().column("n").to_pylist()
        page = f" LIMIT {int(limit)} OFFSET {int(offset)}"
        rows = con.sql(f"SELECT * FROM read_parquet(?){clause}{by}{page}", params=params)  # noqa: S608 - table and column names from code, values bound
        found = rows.to_arrow_table().to_pylist()
    fields = [{"id": f.name, "type": _type(f.type)} for f in schema]
    return Records(fields, found, int(total[0] or 0))


def as_csv(table: pa.Table) -> bytes:
    # Deliberately raw, not through rengo.core.csv_safe: an open-data resource is
    # machine-readable data served exactly as the ward published it (and as its DCAT/CKAN
    # metadata describes it). Quoting cells that start with = + - @ would change the
    # published values for every program that reads them; the spreadsheet risk is the
    # publisher's review at publication, not a rewrite at download.
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer)
    return buffer.getvalue()


def as_json(table: pa.Table) -> bytes:
    return json.dumps(table.to_pylist(), ensure_ascii=False).encode()


def has_coordinates(table: pa.Table) -> bool:
    names = table.column_names
    return LAT in names and LNG in names and pa.types.is_floating(table.schema.field(LAT).type)


def as_geojson(table: pa.Table) -> bytes:
    features = []
    for row in table.to_pylist():
        lat, lng = row.get(LAT), row.get(LNG)
        if lat is None or lng is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": row,
            }
        )
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False
    ).encode()
