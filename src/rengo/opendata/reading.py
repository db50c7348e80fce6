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


def _encoding(data: bytes) -> str:
    """The encoding as far as the first bytes tell: a BOM, or whether they are UTF-8 (a
    Shift_JIS file shows it within its first Japanese character; one whose beginning is
    UTF-8 and that turns out not to be is read again as Shift_JIS by ``read_csv``)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    head = data[:HEAD]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        cut_short = len(head) == HEAD and error.start >= HEAD - 3
        return "utf-8" if cut_short and error.reason == "unexpected end of data" else "cp932"
    return "utf-8"


HEAD = 1 << 16


def _header(first_line: str, source: str) -> list[str]:
    names = [n.strip().strip('"') for n in first_line.rstrip("\r").split(",")]
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


def _undecodable(source: str) -> InvalidInput:
    return InvalidInput(
        "the file's encoding is not UTF-8, Shift_JIS (cp932) or UTF-16",
        [Problem("文字コードを判別できません(UTF-8、Shift_JIS、UTF-16 のいずれでもない)", source)],
    )


def _parse(data: bytes, encoding: str, source: str) -> tuple[pa.Table, list[Problem]]:
    """Arrow's multi-threaded reader over the bytes; Shift_JIS is transcoded by Arrow block
    by block as it reads (no copy of the whole file as text), UTF-8 is checked by Arrow."""
    first = data.split(b"\n", 1)[0]
    try:
        names = _header(first.decode(encoding), source)
    except UnicodeDecodeError:
        raise _undecodable(source) from None
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

    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            use_threads=True,
            block_size=8 << 20,
            encoding="utf8" if encoding.startswith("utf-8") else encoding,
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, bad


def read_csv(data: bytes, source: str) -> Loaded:
    encoding = _encoding(data)
    if encoding == "utf-16":
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise _undecodable(source) from None
    try:
        try:
            table, bad = _parse(data, "utf-8" if encoding == "utf-16" else encoding, source)
        except pa.ArrowInvalid as error:
            if encoding != "utf-8" or "invalid UTF8" not in str(error):
                raise
            encoding = "cp932"  # UTF-8 at the start only
            table, bad = _parse(data, encoding, source)
    except UnicodeDecodeError:
        raise _undecodable(source) from None
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
