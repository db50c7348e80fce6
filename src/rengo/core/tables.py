"""Uploaded tables (CSV in UTF-8 or cp932, or Excel .xlsx) as rows of text by column key.

Shared by every import of the platform (assets, EBPM surveys and trainings, FinOps
budget and settlement files).

Headers may be Japanese or English; each problem names the file, the row (line) and the
column, so that whoever prepared the file can fix it. Readers collect every problem
before raising, and callers store nothing unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rengo.core.errors import InvalidInput, Problem, ProblemList
from rengo.core.permissions import Principal
from rengo.core.wards import JOINT, MunicipalCodeError, parse_tenant

MAX_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: dict[str, str]
    columns: dict[str, int]
    filename: str

    def where(self, key: str) -> str:
        return f"{self.filename}:{self.line} column {self.columns[key] + 1} ({key})"


def decode(data: bytes, filename: str = "upload.csv") -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "cannot read the file",
            [
                Problem(
                    "neither UTF-8 nor Shift_JIS (cp932): {reason}",
                    f"{filename}",
                    values={"reason": error.reason},
                )
            ],
        ) from None


def _records(data: bytes, filename: str) -> Iterator[list[str]]:
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        from openpyxl import load_workbook  # only when an Excel file comes

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise InvalidInput(
                "cannot read the file",
                [Problem("not a readable Excel file: {error}", filename, {"error": str(error)})],
            ) from None
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield ["" if v is None else _text(v) for v in values]
        return
    yield from csv.reader(io.StringIO(decode(data, filename), newline=""))


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    data: bytes, filename: str, columns: Mapping[str, tuple[str, ...]], required: set[str]
) -> list[Row]:
    """Rows with a cell per known column; blank lines skipped; unknown columns refused."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            "file too large", [Problem("at most {n} bytes", filename, {"n": MAX_BYTES})]
        )
    problems = ProblemList()
    records = _records(data, filename)
    try:
        header = next(records)
    except StopIteration:
        raise InvalidInput(
            "cannot read the file", [Problem("the file is empty", filename)]
        ) from None
    except csv.Error as error:
        raise InvalidInput(
            "cannot read the file",
            [Problem("not readable as CSV: {error}", f"{filename}:1", {"error": str(error)})],
        ) from None
    aliases = {a.lower(): key for key, names in columns.items() for a in (key, *names)}
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        key = aliases.get(name.strip().lstrip("\ufeff").lower())
        if key is None:
            if name.strip():
                problems.add(
                    "unknown column {name!r}",
                    f"{filename}:1 column {position + 1}",
                    {"name": name},
                )
            continue
        index[key] = position
    for key in sorted(required - set(index)):
        problems.add("missing column {name}", f"{filename}:1", {"name": key})
    problems.raise_if_any("cannot read the file")
    rows = []
    try:
        for line, record in enumerate(records, start=2):
            if not any(str(c).strip() for c in record):
                continue
            cells = {k: (record[i].strip() if i < len(record) else "") for k, i in index.items()}
            rows.append(Row(line, cells, index, filename))
    except csv.Error as error:
        raise InvalidInput(
            "cannot read the file",
            [Problem("not readable as CSV: {error}", filename, {"error": str(error)})],
        ) from None
    if not rows:
        raise InvalidInput("cannot read the file", [Problem("no data rows", filename)])
    return rows


def number(row: Row, key: str, problems: ProblemList, *, integer: bool = False) -> float | None:
    raw = row.cells.get(key, "").replace(",", "").removesuffix("%")
    try:
        return float(int(raw)) if integer else float(raw)
    except ValueError:
        value = {"value": row.cells.get(key, "")}
        if integer:
            problems.add("{value!r} is not a whole number", row.where(key), value)
        else:
            problems.add("{value!r} is not a number", row.where(key), value)
        return None


def ward_of(row: Row, principal: Principal, problems: ProblemList) -> str | None:
    """The row's tenant (code, name or ``joint``), or ``None`` with the problem recorded when
    it is none or another ward than the principal's (the joint centre imports for all)."""
    try:
        ward = parse_tenant(row.cells["ward"])
    except MunicipalCodeError as error:
        problems.add(str(error), row.where("ward"))
        return None
    if ward != JOINT and principal.tenant not in (JOINT, ward):
        problems.add("not your ward", row.where("ward"))
        return None
    return ward
