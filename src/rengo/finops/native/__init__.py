"""Converters of native billing exports to FOCUS 1.2.

Each provider module defines ``expressions(source) -> dict[FOCUS column, SQL]`` over the
raw export (every column read as text) and ``NATIVE_COST`` — the expression of the
export's own billed amount, so that the ingest report can show that the converted
``BilledCost`` total equals the native total. The mapping follows the FinOps
Foundation's conversion tables (``focus_converters``), with the deviations named in
each module.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

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
def _categories() -> dict[tuple[str, str], str]:
    text = resources.files("rengo.finops").joinpath("data/service_categories.csv").read_text()
    rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
    return {(p, key): cat for p, key, cat in rows}


def category_sql(provider: str, key_expr: str) -> str:
    """ServiceCategory from a service key; 'Other' where the catalogue does not know it."""
    pairs = {k: v for (p, k), v in _categories().items() if p == provider}
    return when_map(f"lower({key_expr})", pairs, "'Other'")


@dataclass(frozen=True, slots=True)
class Converter:
    name: str
    provider: str
    expressions: Callable[[Source], dict[str, str]]
    native_cost: Callable[[Source], str]
    """SQL of the export's own billed amount per row (summed for the totals check)."""
    currency: Callable[[Source], str]


def converters() -> dict[str, Converter]:
    from rengo.finops.native import aws, azure, gcp, oci, sakura

    return {
        c.name: c
        for c in (aws.CONVERTER, azure.CONVERTER, gcp.CONVERTER, oci.CONVERTER, sakura.CONVERTER)
    }
