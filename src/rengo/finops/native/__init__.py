"""Converters of native billing exports to FOCUS 1.2: a new provider is one new module.

Each provider module of this package defines ``CONVERTER = Converter(...)``: how to
recognise its export from the column names (``detect``), ``expressions(source) ->
dict[FOCUS column, SQL]`` over the raw export (every column read as text), and the
expression of the export's own billed amount, so that the ingest report can show that
the converted ``BilledCost`` total equals the native total; its service catalogue is
``categories/<cloud>.csv``. The mapping follows the FinOps Foundation's conversion
tables (``focus_converters``), with the deviations named in each module.
"""

from __future__ import annotations

import csv
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from rengo.core.sql import identifier, literal


class Source:
    """The columns of a raw export, found case-insensitively under any of several names."""

    def __init__(self, columns: Iterable[str]) -> None:
        self.columns = list(columns)
        self._lower = {c.lower(): c for c in self.columns}

    def find(self, *names: str) -> str | None:
        for name in names:
            found = self._lower.get(name.lower())
            if found is not None:
                return found
        return None

    def has(self, *names: str) -> bool:
        return self.find(*names) is not None

    def col(self, *names: str) -> str:
        """A text expression of the first column present (empty text is null), else NULL."""
        found = self.find(*names)
        if found is None:
            return "CAST(NULL AS VARCHAR)"
        return f"NULLIF(trim(CAST({identifier(found)} AS VARCHAR)), '')"

    def num(self, *names: str) -> str:
        return f"TRY_CAST({self.col(*names)} AS DOUBLE)"

    def starting(self, prefix: str) -> list[str]:
        return [c for c in self.columns if c.lower().startswith(prefix.lower())]


def tags_object(pairs: list[tuple[str, str]]) -> str:
    """A JSON object of the non-null values among ``(key, expression)`` pairs (or null)."""
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    entries = ", ".join(f"{{'k': {literal(k)}, 'v': CAST({v} AS VARCHAR)}}" for k, v in pairs)
    filtered = f"list_filter([{entries}], lambda e: e.v IS NOT NULL)"
    return f"NULLIF(CAST(to_json(map_from_entries({filtered})) AS VARCHAR), '{{}}')"


def when_map(expr: str, mapping: dict[str, str], default: str = "NULL") -> str:
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    return f"(CASE {expr} {cases} ELSE {default} END)"


@cache
def _categories(cloud: str) -> dict[str, str]:
    text = resources.files(__name__).joinpath(f"categories/{cloud}.csv").read_text()
    rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
    return {key: category for key, category in rows}


def category_sql(cloud: str, key_expr: str) -> str:
    """ServiceCategory from a service key; 'Other' where the catalogue does not know it."""
    return when_map(f"lower({key_expr})", _categories(cloud), "'Other'")


JsonRows = Callable[[Path], tuple[list[dict[str, Any]], tuple[str, ...]]]
"""Reads a JSON export: its rows, and their columns (values as text)."""


@dataclass(frozen=True, slots=True)
class Converter:
    name: str
    """The ``--format`` that selects it."""
    provider: str
    """FOCUS ProviderName."""
    cloud: str
    """The provider's key in the asset register (``assets.reference.CLOUD_PROVIDERS``)."""
    detect: Callable[[set[str]], bool]
    """Whether an export with these (lower-case) column names is this provider's."""
    expressions: Callable[[Source], dict[str, str]]
    native_cost: Callable[[Source], str]
    """SQL of the export's own billed amount per row (summed for the totals check)."""
    currency: Callable[[Source], str]
    read_json: JsonRows | None = None
    """For an export that comes as JSON."""
    order: int = 50
    """Detection order: lower first (a more specific export before a looser one)."""


@cache
def converters() -> dict[str, Converter]:
    """Every provider's converter by format name, in detection order."""
    found: list[Converter] = []
    for module in pkgutil.iter_modules(__path__):
        converter = getattr(importlib.import_module(f"{__name__}.{module.name}"), "CONVERTER", None)
        if isinstance(converter, Converter):
            found.append(converter)
    return {c.name: c for c in sorted(found, key=lambda c: (c.order, c.name))}


def detect(columns: Iterable[str]) -> Converter | None:
    """The converter whose export has these columns, if any."""
    lower = {c.lower() for c in columns}
    return next((c for c in converters().values() if c.detect(lower)), None)


def json_reader() -> Converter | None:
    """The converter of the one export that comes as JSON (read when no format is given)."""
    return next((c for c in converters().values() if c.read_json is not None), None)
