"""Validate an upload against a standard type, and normalise it for publishing.

Every problem names its row and column (as the ward's file numbers them: the header is row
1) and shows the cell's value, in Japanese. Checks run over whole columns at once.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from rengo.core.errors import Problem
from rengo.core.types import TenantCode
from rengo.opendata.checks import CHECKS, Context, as_numbers, coordinate_problems, iso_dates
from rengo.opendata.reading import Loaded, read_upload
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import StandardType

LAT, LNG = "緯度", "経度"


@dataclass(slots=True)
class Report:
    source: str
    encoding: str
    format: str
    rows: int
    columns: list[str]
    standard_type: str
    problems: list[Problem] = field(default_factory=list)
    """The first ``max_problems`` problems, in row order."""
    error_count: int = 0
    by_column: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "encoding": self.encoding,
            "format": self.format,
            "rows": self.rows,
            "columns": self.columns,
            "standard_type": self.standard_type,
            "valid": self.ok,
            "error_count": self.error_count,
            "errors_by_column": dict(self.by_column),
            "problems": [{"location": p.location, "message": p.message} for p in self.problems],
        }


@dataclass(slots=True)
class _Collector:
    source: str
    limit: int
    found: list[tuple[int, int, Problem]] = field(default_factory=list)
    count: int = 0
    by_column: Counter[str] = field(default_factory=Counter)

    def add_mask(
        self, mask: pa.ChunkedArray, column: str, position: int, values: pa.ChunkedArray, text: str
    ) -> None:
        indices = pc.indices_nonzero(pc.fill_null(mask, False))
        n = len(indices)
        if not n:
            return
        self.count += n
        self.by_column[column] += n
        shown = indices[: self.limit].to_pylist()
        cells = pc.take(values, pa.array(shown, pa.int64())).to_pylist() if shown else []
        for index, cell in zip(shown, cells, strict=True):
            where = f"{self.source}:{index + 2}行目 列「{column}」"
            self.found.append((index, position, Problem(text, where, values={"value": cell})))


def validate_loaded(
    loaded: Loaded,
    stype: StandardType,
    settings: OpendataSettings,
    ward_code: TenantCode | None = None,
) -> Report:
    started = time.perf_counter()
    table = loaded.table
    names = table.column_names
    report = Report(loaded.source, loaded.encoding, loaded.format, table.num_rows, names, stype.key)
    collector = _Collector(loaded.source, settings.max_problems)
    header: list[Problem] = list(loaded.bad_rows)
    for name in stype.required:
        if name not in names:
            header.append(
                Problem(
                    "必須の列「{column}」がありません",
                    f"{loaded.source}:1行目",
                    values={"column": name},
                )
            )
    context = Context(settings, ward_code)
    for position, name in enumerate(names):
        spec = stype.field(name)
        if spec is None:
            continue
        column = table.column(name)
        if spec.required:
            collector.add_mask(
                pc.equal(column, ""), name, position, column, "必須項目が空です(値: {value!r})"
            )
        run = CHECKS.get(spec.check)
        if run is not None:
            for mask, message in run(column, context):
                collector.add_mask(mask, name, position, column, message)
    if LAT in names and LNG in names:
        lat, lng = table.column(LAT), table.column(LNG)
        swapped, outside = coordinate_problems(lat, lng, settings)
        pair = pc.binary_join_element_wise(lat, lng, ", ")
        position = names.index(LAT)
        collector.add_mask(
            swapped, LAT, position, pair, "緯度と経度が入れ替わっています(緯度, 経度: {value})"
        )
        collector.add_mask(
            outside, LAT, position, pair, "座標が23区の範囲外です(緯度, 経度: {value})"
        )
    collector.found.sort(key=lambda item: (item[0], item[1]))
    report.problems = (header + [p for _, _, p in collector.found])[: settings.max_problems]
    report.error_count = len(header) + collector.count
    report.by_column = collector.by_column
    report.seconds = time.perf_counter() - started
    return report


def validate_file(
    path: Path, stype: StandardType, settings: OpendataSettings, ward_code: TenantCode | None = None
) -> tuple[Loaded, Report]:
    loaded = read_upload(path)
    return loaded, validate_loaded(loaded, stype, settings, ward_code)


def normalise(loaded: Loaded, stype: StandardType | None) -> pa.Table:
    """The table as the portal serves it: coordinates as numbers, dates as ISO dates."""
    table = loaded.table
    if stype is None:
        return table
    for position, name in enumerate(table.column_names):
        spec = stype.field(name)
        if spec is None:
            continue
        if spec.check in ("latitude", "longitude", "number"):
            table = table.set_column(position, name, as_numbers(table.column(name)))
        elif spec.check == "date":
            table = table.set_column(position, name, iso_dates(table.column(name)))
    return table
