"""Read an upload (CSV in UTF-8, UTF-8 with BOM, cp932 or UTF-16; .xlsx; or a .zip holding
one of them) into an Arrow table whose every column is text, as the ward wrote it."""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from rengo.core.errors import InvalidInput, Problem

TABULAR = (".csv", ".txt", ".tsv", ".xlsx")


@dataclass(slots=True)
class Loaded:
    table: pa.Table
    encoding: str
    format: str
    """CSV | XLSX."""
    source: str
    """The file (and zip member) the rows came from, as locations name it."""
    bad_rows: list[Problem] = field(default_factory=list)


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _header(data: bytes, encoding: str, source: str) -> list[str]:
    first = data.split(b"\n", 1)[0] if encoding.startswith("utf-8") else b""
    if encoding == "utf-16":
        text = data.decode("utf-16").split("\n", 1)[0]
    else:
        text = first.decode(encoding)
    names = [n.strip().strip('"') for n in text.rstrip("\r").split(",")]
    seen: set[str] = set()
    problems = []
    for number, name in enumerate(names, start=1):
        if name in seen:
            problems.append(
                Problem(
                    "列名「{name}」が重複しています",
                    f"{source}:1行目 {number}列目",
                    values={"name": name},
                )
            )
        seen.add(name)
    if problems:
        raise InvalidInput("the header row is not valid", problems)
    return names


def _decodable(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def read_csv(data: bytes, source: str) -> Loaded:
    encoding = _encoding(data[:4])
    if encoding == "utf-8" and not _decodable(data, "utf-8"):
        if not _decodable(data, "cp932"):
            raise InvalidInput(
                "the file's encoding is not UTF-8, Shift_JIS (cp932) or UTF-16",
                [
                    Problem(
                        "文字コードを判別できません(UTF-8、Shift_JIS、UTF-16 のいずれでもない)",
                        source,
                    )
                ],
            )
        encoding = "cp932"
    if encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")
    names = _header(data, "utf-8-sig" if encoding == "utf-8-sig" else "utf-8", source)
    data = data.removeprefix(codecs.BOM_UTF8)
    bad: list[Problem] = []

    def invalid(row: pacsv.InvalidRow) -> str:
        line = f"{row.number}行目" if row.number is not None else "行"
        bad.append(
            Problem(
                "列の数が{actual}で、見出しの{expected}と合いません(値: {text})",
                f"{source}:{line}",
                values={
                    "actual": row.actual_columns,
                    "expected": row.expected_columns,
                    "text": row.text[:80],
                },
            )
        )
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise InvalidInput("the CSV cannot be read", [Problem(str(error), source)]) from None
    label = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp932": "Shift_JIS", "utf-16": "UTF-16"}
    return Loaded(table, label[encoding], "CSV", source, bad)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(data: bytes, source: str) -> Loaded:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise InvalidInput("the workbook cannot be read", [Problem(str(error), source)]) from None
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows:
        raise InvalidInput("the workbook is empty", [Problem("シートが空です", source)])
    names = [n for n in rows[0]]
    width = len(names)
    while width and not names[width - 1]:
        width -= 1
    columns = {
        name: [r[i] if i < len(r) else "" for r in rows[1:]] for i, name in enumerate(names[:width])
    }
    return Loaded(
        pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()}), "", "XLSX", source
    )


def read_upload(path: Path, data: bytes | None = None) -> Loaded:
    """The rows of ``path`` (its bytes given, or read); a zip must hold one table."""
    data = path.read_bytes() if data is None else data
    source = path.name
    suffix = path.suffix.lower()
    if suffix == ".zip":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise InvalidInput("the zip cannot be read", [Problem(str(error), source)]) from None
        members = [m for m in archive.namelist() if Path(m).suffix.lower() in TABULAR]
        if len(members) != 1:
            raise InvalidInput(
                "a zip must hold exactly one CSV or .xlsx file",
                [
                    Problem(
                        "表形式のファイルが{count}個あります",
                        source,
                        values={"count": len(members)},
                    )
                ],
            )
        return read_upload(Path(f"{source}!{members[0]}"), archive.read(members[0]))
    if suffix == ".xlsx":
        return read_xlsx(data, source)
    return read_csv(data, source)
