"""Count-table releases: a contingency table of the analyst's view (e.g. ward × birth
cohort × 要介護度) with its marginal totals, small cells suppressed so that no suppressed
cell can be worked back from what is published.

Primary suppression hides every cell (and every total) from 1 to ``small_cell`` − 1.
Secondary suppression then hides further cells until no hidden value can be recomputed
exactly: the published table is a set of linear equations (each line of cells sums to
its total), and a hidden value is exposed exactly when it is determined by them — a line
with one hidden entry gives it away at once, and longer chains do too. Each round hides
the smallest published entry of a line that still exposes a value, and the check is
repeated (by linear algebra on the equations) until nothing is exposed. Zeros are
published (a zero is not a person); totals are part of the table.

Optionally the counts are made differentially private first
(``rengo.ebpm.zone.privacy``); suppression then works on the noisy counts.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from scipy.linalg import null_space

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import identifier
from rengo.ebpm.zone import privacy
from rengo.ebpm.zone.disclosure import (
    LEVELS,
    STANDARDS,
    ColumnKind,
    ColumnRule,
    Hierarchy,
    ReleaseReport,
    StepReport,
    level_expression,
)

TOTAL = "計"
"""The category of a marginal total (all categories of that dimension)."""
COUNT = "件数"
Reason = Literal["primary", "secondary"]
TABULATED = (ColumnKind.QUASI, ColumnKind.SENSITIVE, ColumnKind.OTHER)


@dataclass(frozen=True, slots=True)
class Dimension:
    """A column counted by, at a level of its hierarchy (0: as written; an age at 2 is a
    10-year band, an address at 2 the ward, a date at 3 a 5-year cohort)."""

    column: str
    level: int = 0


@dataclass(frozen=True, slots=True)
class TableRequest:
    """A count-table release: the dimensions, and ε for differentially private counts
    (``None``: exact counts, suppression only)."""

    dimensions: list[Dimension]
    epsilon: float | None = None


@dataclass(slots=True)
class CountTable:
    dimensions: list[str]
    categories: list[list[str]]
    """Each dimension's categories, :data:`TOTAL` last."""
    counts: dict[tuple[str, ...], int]
    """Every cell and every total of the augmented table."""
    suppressed: dict[tuple[str, ...], Reason] = field(default_factory=dict)

    def set_cells(self, cells: Mapping[tuple[str, ...], int]) -> None:
        """The cells, and every total summed from them."""
        self.counts = dict.fromkeys(itertools.product(*self.categories), 0)
        for key, n in cells.items():
            # Each total the cell belongs to: every dimension as itself or as TOTAL.
            for mask in itertools.product((False, True), repeat=len(key)):
                self.counts[tuple(TOTAL if m else k for k, m in zip(key, mask, strict=True))] += n

    def lines(self) -> list[list[tuple[str, ...]]]:
        """Every line of the augmented table: the cells along one dimension with the
        others fixed, its total last (the cells sum to it)."""
        out = []
        for axis, categories in enumerate(self.categories):
            others = [c for i, c in enumerate(self.categories) if i != axis]
            for fixed in itertools.product(*others):
                out.append([(*fixed[:axis], category, *fixed[axis:]) for category in categories])
        return out

    def as_table(self) -> pa.Table:
        """The released form: one row per cell and total, the count ``None`` where hidden."""
        keys = list(self.counts)
        columns: dict[str, Any] = {
            name: pa.array([key[i] for key in keys], pa.string())
            for i, name in enumerate(self.dimensions)
        }
        columns[COUNT] = pa.array(
            [None if key in self.suppressed else self.counts[key] for key in keys], pa.int64()
        )
        return pa.table(columns)

    def suppressed_cells(self) -> list[dict[str, Any]]:
        """What the report lists: each hidden cell by its categories, and why."""
        return [
            {"cell": dict(zip(self.dimensions, key, strict=True)), "reason": reason}
            for key, reason in self.suppressed.items()
        ]


def validate(rules: Mapping[str, ColumnRule], dimensions: Sequence[Dimension]) -> None:
    """Dimensions name analysable columns at a level their hierarchy has."""
    problems = []
    if not dimensions:
        problems.append(Problem("at least one column", "field table.dimensions"))
    for n, dimension in enumerate(dimensions):
        rule = rules.get(dimension.column)
        where = f"field table.dimensions[{n}]"
        values = {"column": dimension.column, "level": dimension.level}
        if rule is None or rule.kind not in TABULATED:
            problems.append(Problem("{column}: not a column one may count by", where, values))
        elif not 0 <= dimension.level < len(LEVELS[rule.hierarchy]) - 1:
            problems.append(Problem("{column}: no level {level}", where, values))
    if len({d.column for d in dimensions}) != len(dimensions):
        problems.append(Problem("a column named twice", "field table.dimensions"))
    if problems:
        raise InvalidInput("the table cannot be made", problems)


def count(
    view: pa.Table, rules: Mapping[str, ColumnRule], dimensions: Sequence[Dimension]
) -> CountTable:
    """The contingency table of ``view`` with every marginal total (zeros included)."""
    import duckdb

    validate(rules, dimensions)
    con = duckdb.connect()
    con.register("view", view)
    expressions = ", ".join(
        f"coalesce({level_expression(rules[d.column], d.column, d.level)}, '不明') AS c{i}"
        for i, d in enumerate(dimensions)
    )
    # The analyst's view holds text: ages are read as numbers for their bands.
    source = ", ".join(
        f"TRY_CAST({identifier(d.column)} AS INTEGER) AS {identifier(d.column)}"
        if rules[d.column].hierarchy is Hierarchy.AGE
        else identifier(d.column)
        for d in dimensions
    )
    rows = con.execute(
        f"SELECT {expressions}, count(*) FROM (SELECT {source} FROM view) GROUP BY ALL"  # noqa: S608 - column expressions built from validated names
    ).fetchall()
    con.close()
    categories = [sorted({str(r[i]) for r in rows}) for i in range(len(dimensions))]
    cells = dict.fromkeys(itertools.product(*categories), 0)
    for *key, n in rows:
        cells[tuple(str(k) for k in key)] = int(n)
    table = CountTable([d.column for d in dimensions], [[*c, TOTAL] for c in categories], {})
    table.set_cells(cells)
    return table


def make_private(table: CountTable, epsilon: float, *, maximum: float) -> dict[str, Any]:
    """Replace the cells by ε-differentially private counts (totals summed from them);
    returns what the report records."""
    cells = {k: n for k, n in table.counts.items() if TOTAL not in k}
    noisy, record = privacy.noisy_counts(list(cells.values()), epsilon, maximum=maximum)
    table.set_cells(dict(zip(cells, noisy, strict=True)))
    return record


def exposed(table: CountTable) -> list[tuple[str, ...]]:
    """Hidden entries whose value the published table determines exactly."""
    hidden = list(table.suppressed)
    if not hidden:
        return []
    index = {key: i for i, key in enumerate(hidden)}
    equations = []
    for line in table.lines():
        row = np.zeros(len(hidden))
        for position, key in enumerate(line):
            if key in index:
                row[index[key]] = -1.0 if position == len(line) - 1 else 1.0
        if row.any():
            equations.append(row)
    if not equations:
        return []
    # x_j is determined iff every solution of the homogeneous system has x_j = 0.
    free = null_space(np.array(equations))
    if free.size == 0:
        return hidden
    return [key for key, i in index.items() if np.allclose(free[i], 0.0, atol=1e-9)]


def suppress(table: CountTable, minimum: int) -> CountTable:
    """Primary then secondary suppression, in place; returns ``table``."""
    for key, n in table.counts.items():
        if 0 < n < minimum:
            table.suppressed[key] = "primary"
    lines = table.lines()
    lines_of: dict[tuple[str, ...], list[list[tuple[str, ...]]]] = {}
    for line in lines:
        for key in line:
            lines_of.setdefault(key, []).append(line)

    def hidden_in(line: list[tuple[str, ...]]) -> int:
        return sum(1 for k in line if k in table.suppressed)

    def cost(key: tuple[str, ...], line: list[tuple[str, ...]]) -> tuple[int, int, bool]:
        # Hiding a cell in a line with nothing hidden yet opens a new exposure there.
        opened = sum(1 for other in lines_of[key] if other is not line and not hidden_in(other))
        return opened, table.counts[key], TOTAL in key

    while exposed_keys := exposed(table):
        # The line that gives a value away most directly: one hidden entry, else any.
        around = [line for key in exposed_keys for line in lines_of[key]]
        around.sort(key=hidden_in)
        for line in around:
            candidates = [k for k in line if k not in table.suppressed]
            if candidates:
                positive = [k for k in candidates if table.counts[k] > 0] or candidates
                chosen = min(positive, key=functools.partial(cost, line=line))
                table.suppressed[chosen] = "secondary"
                break
        else:
            break  # every entry of those lines is hidden already: nothing more to hide
    return table


def release(
    view: pa.Table,
    rules: Mapping[str, ColumnRule],
    dimensions: Sequence[Dimension],
    *,
    small_cell: int,
    epsilon: float | None = None,
    max_epsilon: float,
) -> tuple[pa.Table, dict[str, Any]]:
    """A count-table release of the analyst's view and its report, in the shape of the
    five standards' report (with the table's own section): only the dimensions are
    counted, so every identifier and linking code is left out (第1–3号); small cells are
    unusual values (第4号); secondary suppression and, if asked, differential privacy
    are the measures for the table's characteristics (第5号)."""
    table = count(view, rules, dimensions)
    dp_record = make_private(table, epsilon, maximum=max_epsilon) if epsilon else None
    suppress(table, small_cell)
    counted = {d.column for d in dimensions}
    steps = [StepReport(s.number, s.title_ja, s.title_en) for s in STANDARDS]
    for step, kind in zip(
        steps[:3], (ColumnKind.DIRECT, ColumnKind.CODE, ColumnKind.LINK), strict=True
    ):
        step.columns = [n for n, r in rules.items() if r.kind is kind and n not in counted]
        step.detail = {"not counted": True}
    primary = sum(1 for r in table.suppressed.values() if r == "primary")
    secondary = len(table.suppressed) - primary
    steps[3].cells_changed, steps[3].detail = primary, {"small_cell": small_cell}
    steps[3].title_ja, steps[3].title_en = (
        "特異な記述等の削除(小さいセルの秘匿)",
        ("Unusual values deleted (small cells suppressed)"),
    )
    steps[4].cells_changed = secondary
    steps[4].title_ja = "性質を勘案した措置(二次秘匿" + (
        "・差分プライバシー)" if dp_record else ")"
    )
    steps[4].title_en = "Measures for the data's characteristics (secondary suppression" + (
        ", differential privacy)" if dp_record else ")"
    )
    steps[4].detail = {"differential_privacy": dp_record}
    published = [n for k, n in table.counts.items() if k not in table.suppressed and n > 0]
    smallest = min(published) if published else None
    report = ReleaseReport(
        steps=steps,
        rows_in=view.num_rows,
        rows_out=len(table.counts),
        k=small_cell,
        k_achieved=smallest,
        l_required=0,
        l_achieved=None,
        classes=len(published),
        max_risk=1 / smallest if smallest else 0.0,
        average_risk=len(published) / view.num_rows if view.num_rows else 0.0,
        generalisation={d.column: d.level for d in dimensions},
    ).as_dict()
    report["table"] = {
        "dimensions": [{"column": d.column, "level": d.level} for d in dimensions],
        "small_cell": small_cell,
        "cells": len(table.counts),
        "suppressed": table.suppressed_cells(),
        "differential_privacy": dp_record,
    }
    return table.as_table(), report
