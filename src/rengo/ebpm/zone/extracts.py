"""Reading a department's extract: the encodings wards export (UTF-8 with or without BOM,
Shift_JIS/cp932, UTF-16), checked whole before anything is deposited — declared columns
present and no undeclared one, one record per key, dates that exist — every problem named
by row and column with the cell's value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa

from rengo.core.errors import InvalidInput, Problem
from rengo.ebpm.zone import normalise
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule, Hierarchy

MAX_PROBLEMS = 50
DATE_COLUMNS = ("生年月日",)


@dataclass(frozen=True, slots=True)
class Extract:
    table: pa.Table
    encoding: str


def decode(data: bytes, source: str) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was in."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp932")
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the extract is not in UTF-8, Shift_JIS (cp932) or UTF-16",
        [Problem("save it as UTF-8 or Shift_JIS CSV", source)],
    )


def parse_rules(columns: Mapping[str, Mapping[str, str]], source: str) -> dict[str, ColumnRule]:
    """Column classifications as the depositor declared them (``{"kind", "hierarchy"}``)."""
    rules: dict[str, ColumnRule] = {}
    problems = []
    for name, spec in columns.items():
        try:
            rules[name] = ColumnRule(
                ColumnKind(spec.get("kind", "")),
                Hierarchy(spec.get("hierarchy", Hierarchy.CATEGORY.value)),
            )
        except ValueError:
            problems.append(
                Problem(
                    "kind: one of {kinds}; hierarchy: one of {hierarchies}",
                    f"{source} column {name}",
                    values={
                        "kinds": ", ".join(k.value for k in ColumnKind),
                        "hierarchies": ", ".join(h.value for h in Hierarchy),
                    },
                )
            )
    if problems:
        raise InvalidInput("column classification is not valid", problems)
    return rules


def read(data: bytes, rules: Mapping[str, ColumnRule], key_column: str, source: str) -> Extract:
    """The extract as a table of text columns, or every problem found in it."""
    text, encoding = decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    problems: list[Problem] = []
    if not header:
        raise InvalidInput("the extract is empty", [Problem("a header row", f"{source}:1")])
    header = [name.strip() for name in header]
    for name in sorted(set(rules) - set(header)):
        problems.append(Problem("declared column missing from the file", f"{source}:1 {name}"))
    for name in [n for n in header if n not in rules]:
        problems.append(Problem("column has no classification", f"{source}:1 {name}"))
    duplicates = sorted({n for n in header if header.count(n) > 1})
    for name in duplicates:
        problems.append(Problem("column appears twice", f"{source}:1 {name}"))
    if key_column not in rules or rules[key_column].kind is not ColumnKind.LINK:
        problems.append(
            Problem("the key column must be declared with kind 'link'", f"{source} {key_column}")
        )
    if problems:
        raise InvalidInput("the extract's columns do not match its declaration", problems)
    columns: dict[str, list[str | None]] = {name: [] for name in header}
    seen: dict[str, int] = {}
    dates = [n for n in header if n in DATE_COLUMNS or rules[n].hierarchy is Hierarchy.DATE]
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                Problem(
                    "{found} cells where the header has {expected}",
                    f"{source}:{line}",
                    values={"found": len(row), "expected": len(header)},
                )
            )
            continue
        record = dict(zip(header, row, strict=True))
        key = record[key_column].strip()
        if not key:
            problems.append(Problem("the key is empty", f"{source}:{line} {key_column}"))
        elif key in seen:
            problems.append(
                Problem(
                    "key {key} already on line {first}",
                    f"{source}:{line} {key_column}",
                    values={"key": key, "first": seen[key]},
                )
            )
        else:
            seen[key] = line
        for name in dates:
            value = record[name].strip()
            if value and normalise.birth_date(value) is None:
                problems.append(
                    Problem(
                        "{value!r} is not a date that exists",
                        f"{source}:{line} {name}",
                        values={"value": value},
                    )
                )
        for name in header:
            columns[name].append(record[name].strip() or None)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InvalidInput("the extract has errors; nothing was deposited", problems)
    if not seen:
        raise InvalidInput("the extract has no records", [Problem("records", f"{source}:2")])
    return Extract(pa.table({n: pa.array(v, pa.string()) for n, v in columns.items()}), encoding)
