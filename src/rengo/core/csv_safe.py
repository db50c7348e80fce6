"""CSV that a spreadsheet opens as data, never as formulas (CSV / formula injection).

Per OWASP's "CSV Injection" guidance, a cell that begins with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is prefixed with a single quote, so that Excel, LibreOffice and
Google Sheets show it as text instead of evaluating ``=HYPERLINK(…)``, ``+cmd|' /C calc'!A0``,
``@SUM(1+1)`` or ``-2+3``. A cell that is genuinely a number (``-12.50``, ``+3``,
``1e-3``) stays as it is, so sums and sorting still work. Every CSV export writes through
``writer``; an import of such a file takes the quote off again with ``restore``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def neutralise(value: object) -> object:
    """The cell as a spreadsheet should see it: text that looks like a formula is quoted."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def restore(value: str) -> str:
    """An exported cell back to what was stored (the inverse of ``neutralise``)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer`` whose every row goes through ``neutralise``."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])


def writer(out: _Writable, **options: Any) -> SafeWriter:
    return SafeWriter(out, **options)
