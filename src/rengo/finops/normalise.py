"""Turn a FOCUS-shaped relation into typed FOCUS 1.2 rows, reporting every deviation.

Real exports deviate from the specification: literal ``"NULL"`` strings, timestamps
without ``T``/``Z``, names or values in the wrong case, custom columns without the
``x_`` prefix, names of older FOCUS versions. Each is repaired where the intent is
unambiguous and *counted* with the first row it occurs in. A row whose cost, period or
JSON cannot be read at all is not dropped: it goes to the quarantine with the reason.
Everything happens in one DuckDB statement so that a million rows take seconds.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import identifier, literal
from rengo.finops import focus
from rengo.finops.subcategories import subcategory_sql
from rengo.finops.units import focus_unit_sql

NULL_LITERALS = ("NULL", "null", "")
"""Cells read as null."""
PERIOD_COLUMN = "BillingPeriodStart"
"""A row without it belongs to no billing-month partition: quarantined, never lost."""
CUSTOM_KEEP = {"x_cpuutilization": "x_CpuUtilization"}
"""Custom columns rengo understands and keeps as columns of their own."""
UNIT_COLUMNS = frozenset({"PricingUnit", "ConsumedUnit"})
"""Columns in the FOCUS Unit Format: providers' spellings are repaired (``units``)."""


@dataclass(frozen=True, slots=True)
class Deviation:
    code: str
    column: str
    count: int
    message: str
    first_row: int | None = None

    def __str__(self) -> str:
        if not self.count:
            return f"{self.column}: {self.message} (whole column)"
        where = f", first at row {self.first_row}" if self.first_row else ""
        return f"{self.column}: {self.message} ({self.count} row(s){where})"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(slots=True)
class Staged:
    """The typed rows in the DuckDB table (or view) ``table``; flags already counted."""

    table: str
    rows: int
    quarantined: int
    deviations: list[Deviation]
    version: str


def one_of(expr: str, values: tuple[str, ...]) -> str:
    """``expr IN (values)`` with the same nulls, as equalities: DuckDB evaluates a chain
    of ``=`` on text several times faster than an IN list."""
    return "(" + " OR ".join(f"{expr} = {literal(v)}" for v in values) + ")"


def _map_columns(
    source_columns: list[str],
) -> tuple[dict[str, str], dict[str, str], list[Deviation]]:
    """FOCUS name -> source column, custom name -> source column, and naming deviations."""
    focus_map: dict[str, str] = {}
    custom: dict[str, str] = {}
    deviations: list[Deviation] = []
    lower = focus.by_lower_name()
    legacy_lower = {k.lower(): v for k, v in focus.LEGACY_NAMES.items()}
    for col in source_columns:
        if col.startswith("__"):
            continue
        key = col.lower()
        if col in focus.by_name():
            target = col
        elif key in lower:
            target = lower[key]
            deviations.append(
                Deviation(
                    "column_case",
                    col,
                    0,
                    f"column name written {col!r}; FOCUS spells it {target!r}",
                )
            )
        elif key in legacy_lower:
            target = legacy_lower[key]
            deviations.append(
                Deviation("legacy_name", col, 0, f"older FOCUS name {col!r} read as {target!r}")
            )
        elif key.startswith("x_"):
            custom["x_" + col[2:]] = col
            continue
        else:
            custom["x_" + col] = col
            deviations.append(
                Deviation(
                    "custom_unprefixed",
                    col,
                    0,
                    f"custom column {col!r} lacks the x_ prefix; kept as 'x_{col}'",
                )
            )
            continue
        if target in focus_map:
            deviations.append(
                Deviation(
                    "duplicate_column",
                    col,
                    0,
                    f"second column for {target!r} ignored; kept in x_Custom",
                )
            )
            custom["x_" + col] = col
            continue
        focus_map[target] = col
    return focus_map, custom, deviations


MAX_AMOUNT = 1e15
"""Largest amount or quantity a FOCUS row may carry (a thousand trillion in any currency);
beyond it a value is a typo or an attack on the totals, and its row is quarantined."""


class _Builder:
    """Collects the SELECT expressions and the per-row flags of one staging statement."""

    def __init__(
        self,
        types: dict[str, str],
        strict: bool,
        plain: frozenset[str] = frozenset(),
        canonical: frozenset[str] = frozenset(),
    ) -> None:
        self.types = types
        self.strict = strict
        self.plain = plain
        """Source columns known to hold no null literal: read as they are."""
        self.canonical = canonical
        """FOCUS columns known to hold no allowed value in the wrong case."""
        self.exprs: list[str] = []
        self.flags: list[tuple[str, str, str, str]] = []  # (sql, code, column, message)
        self.problems: list[tuple[str, str]] = []  # (condition, message) of unreadable values
        self.values: dict[str, str] = {}  # FOCUS column -> its value expression

    def flag(self, sql: str, code: str, column: str, message: str) -> None:
        self.flags.append((sql, code, column, message))

    def clean(self, src: str) -> str:
        v = f"CAST({identifier(src)} AS VARCHAR)"
        if src in self.plain:
            return v
        return f"(CASE WHEN {one_of(v, NULL_LITERALS)} THEN NULL ELSE {v} END)"

    def is_text(self, src: str) -> bool:
        return self.types.get(src, "VARCHAR").upper() in ("VARCHAR", "JSON") or self.types.get(
            src, ""
        ).upper().startswith("VARCHAR")

    def add(self, column: focus.FocusColumn, src: str | None) -> None:
        name = column.name
        if src is None:
            self.values[name] = f"CAST(NULL AS {column.sql_type})"
            self.exprs.append(f"{self.values[name]} AS {identifier(name)}")
            return
        text = self.is_text(src)
        if text:
            raw = f"CAST({identifier(src)} AS VARCHAR)"
            self.flag(
                one_of(raw, NULL_LITERALS[:2]), "null_literal", name, 'literal "NULL" read as null'
            )
        clean = self.clean(src) if text else identifier(src)
        if column.data_type == "Decimal":
            value = f"TRY_CAST({clean} AS DOUBLE)"
            if text:
                bad = f"({clean} IS NOT NULL AND {value} IS NULL)"
                self.problems.append((bad, f"'{name}: not a number: ' || {clean}"))
            # 1e999 casts to infinity: it, NaN and absurd sizes are not amounts either.
            shown = clean if text else f"CAST({value} AS VARCHAR)"
            self.problems.append(
                (
                    f"(NOT coalesce(abs({value}) <= {MAX_AMOUNT:.0e}, true) "
                    f"OR coalesce(isnan({value}), false))",
                    f"'{name}: not a finite number within ±{MAX_AMOUNT:.0e}: ' || {shown}",
                )
            )
            self.values[name] = value
            self.exprs.append(f"{value} AS {identifier(name)}")
        elif column.data_type == "Date/Time":
            value = f"TRY_CAST({clean} AS TIMESTAMPTZ)"
            if text and self.strict:
                strict = f"(length({clean}) = 20 AND {clean}[11] = 'T' AND {clean}[20] = 'Z')"
                self.flag(
                    f"({clean} IS NOT NULL AND NOT {strict} AND {value} IS NOT NULL)",
                    "timestamp_format",
                    name,
                    "timestamp not in the FOCUS form YYYY-MM-DDTHH:mm:ssZ; read as UTC",
                )
            if text:
                bad = f"({clean} IS NOT NULL AND {value} IS NULL)"
                self.problems.append((bad, f"'{name}: not a date/time: ' || {clean}"))
            if name == PERIOD_COLUMN:
                self.problems.append((f"({clean} IS NULL)", f"'{name}: missing'"))
            self.exprs.append(f"{value} AS {identifier(name)}")
        elif column.data_type == "JSON":
            bad = f"({clean} IS NOT NULL AND NOT coalesce(json_valid({clean}), false))"
            self.problems.append((bad, f"'{name}: not valid JSON: ' || {clean}"))
            self.exprs.append(f"CAST({clean} AS VARCHAR) AS {identifier(name)}")
        elif name in focus.ALLOWED_VALUES:
            allowed = focus.ALLOWED_VALUES[name]
            cases = " ".join(f"WHEN {literal(a.lower())} THEN {literal(a)}" for a in allowed)
            spelt_right = one_of(clean, allowed)
            known = one_of(f"lower({clean})", tuple(a.lower() for a in allowed))
            # Values already spelt right (nearly all) are never lower-cased.
            fixed = (
                clean
                if name in self.canonical
                else f"(CASE WHEN {spelt_right} THEN {clean} "
                f"ELSE (CASE lower({clean}) {cases} ELSE {clean} END) END)"
            )
            self.flag(
                f"(NOT {spelt_right} AND {known})",
                "value_case",
                name,
                "allowed value in the wrong case; corrected",
            )
            self.flag(
                f"(NOT {spelt_right} AND NOT {known})",
                "unknown_value",
                name,
                f"value is not one of {', '.join(allowed)}; kept as given",
            )
            self.values[name] = fixed
            self.exprs.append(f"{fixed} AS {identifier(name)}")
        elif name in UNIT_COLUMNS:
            value = focus_unit_sql(f"CAST({clean} AS VARCHAR)")
            self.flag(
                f"({clean} IS DISTINCT FROM {value})",
                "unit_format",
                name,
                "unit not in the FOCUS Unit Format; written in it (e.g. GB-Mo as GB-Months)",
            )
            self.values[name] = value
            self.exprs.append(f"{value} AS {identifier(name)}")
        else:
            self.values[name] = f"CAST({clean} AS VARCHAR)"
            self.exprs.append(f"{self.values[name]} AS {identifier(name)}")

    def derive_subcategory(self) -> None:
        """ServiceSubcategory where the row has none: from its category and service name."""
        name = "ServiceSubcategory"
        index = next(i for i, e in enumerate(self.exprs) if e.endswith(f" AS {identifier(name)}"))
        derived = subcategory_sql(self.values["ServiceCategory"], self.values["ServiceName"])
        self.exprs[index] = f"coalesce({self.values[name]}, {derived}) AS {identifier(name)}"

    def derive_contracted_cost(self) -> None:
        """ContractedCost where the row has none (FOCUS 1.2 says it MUST NOT be null): with no
        ContractedUnitPrice, a charge not calculated from other charges has its BilledCost.

        A tax is calculated from other charges: its ContractedCost is left as given.
        """
        name = "ContractedCost"
        v = self.values
        index = next(i for i, e in enumerate(self.exprs) if e.endswith(f" AS {identifier(name)}"))
        derived = (
            f"(CASE WHEN {v['ContractedUnitPrice']} IS NULL "
            f"AND {v['ChargeCategory']} IS DISTINCT FROM 'Tax' THEN {v['BilledCost']} END)"
        )
        self.flag(
            f"({v[name]} IS NULL AND {derived} IS NOT NULL)",
            "derived_value",
            name,
            "missing; set to BilledCost (no ContractedUnitPrice, not a tax: FOCUS 1.2)",
        )
        self.exprs[index] = f"coalesce({v[name]}, {derived}) AS {identifier(name)}"


def _build(
    types: dict[str, str],
    strict: bool,
    focus_map: dict[str, str],
    custom: dict[str, str],
    plain: frozenset[str] = frozenset(),
    canonical: frozenset[str] = frozenset(),
) -> _Builder:
    builder = _Builder(types, strict, plain, canonical)
    for col in focus.columns():
        builder.add(col, focus_map.get(col.name))
    builder.derive_subcategory()
    builder.derive_contracted_cost()
    cpu_src = next((src for name, src in custom.items() if name.lower() in CUSTOM_KEEP), None)
    if cpu_src is not None:
        # A typed (Parquet) number is taken as it is, not through its text.
        value = builder.clean(cpu_src) if builder.is_text(cpu_src) else identifier(cpu_src)
        builder.exprs.append(f"TRY_CAST({value} AS DOUBLE) AS x_CpuUtilization")
    else:
        builder.exprs.append("CAST(NULL AS DOUBLE) AS x_CpuUtilization")
    others = {k: v for k, v in custom.items() if k.lower() not in CUSTOM_KEEP}
    if others:
        pairs = ", ".join(f"{literal(k)}, {builder.clean(v)}" for k, v in others.items())
        builder.exprs.append(f"CAST(json_object({pairs}) AS VARCHAR) AS x_Custom")
    else:
        builder.exprs.append("CAST(NULL AS VARCHAR) AS x_Custom")
    return builder


def stage(
    con: duckdb.DuckDBPyConnection,
    source: str,
    *,
    table: str,
    source_file: str,
    source_format: str,
    ingest_id: str,
    strict: bool = True,
    materialise: bool = True,
    parallel: bool = False,
) -> Staged:
    """Create table (or view) ``table`` of typed FOCUS 1.2 rows (plus ``__problem``) from
    ``source``.

    ``source`` is a relation with FOCUS-named columns and a ``__row`` row number.
    ``strict`` reports timestamps not in the FOCUS form (off for rows a converter made).
    ``parallel``: ``source`` is visible to cursors of ``con`` (no registered object).
    """
    described = con.execute(f"DESCRIBE {source}").fetchall()
    types = {row[0]: str(row[1]) for row in described}
    focus_map, custom, deviations = _map_columns(list(types))
    missing_required = [c for c in focus.PARSE_REQUIRED if c not in focus_map]
    if missing_required:
        raise InvalidInput(
            f"{source_file}: not a FOCUS file",
            [
                Problem(f"mandatory column {c} is missing", f"{source_file}: header")
                for c in missing_required
            ],
        )
    version = focus.detect_version(set(focus_map))
    for col in focus.columns():
        if col.requirement == "Mandatory" and col.name not in focus_map:
            deviations.append(
                Deviation(
                    "missing_column",
                    col.name,
                    0,
                    f"mandatory in FOCUS {focus.FOCUS_VERSION}; left null",
                )
            )
    # Rows, unreadable rows, every deviation and the null literals of each text column are
    # counted in one pass over the source; the first row of a deviation is looked up
    # afterwards, for those that occur.
    builder = _build(types, strict, focus_map, custom)
    texts = sorted(
        {*focus_map.values(), *custom.values()} & {c for c in types if builder.is_text(c)}
    )
    bad = " OR ".join(f"coalesce({c}, false)" for c, _m in builder.problems) or "false"
    aggregates = ["count(*)", f"count_if({bad})"]
    aggregates += [f"count_if({sql})" for sql, *_rest in builder.flags]
    aggregates += [
        f"count_if({one_of(f'CAST({identifier(c)} AS VARCHAR)', NULL_LITERALS)})" for c in texts
    ]
    # Halves by number (the flags alone cost as much as the whole: measured).
    split = len(aggregates) // 2 if parallel else len(aggregates)
    counts = _count(con, source, [aggregates[:split], aggregates[split:]])
    rows, quarantined = int(counts[0]), int(counts[1] or 0)
    flag_counts = counts[2 : 2 + len(builder.flags)]
    seen = [(flag, int(n)) for flag, n in zip(builder.flags, flag_counts, strict=True) if n]
    if seen:
        firsts = con.execute(
            "SELECT "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            + ", ".join(f"min(__row) FILTER (WHERE {f[0]})" for f, _n in seen)
            + f" FROM {source}"
        ).fetchone()
        assert firsts is not None
        for ((_sql, code, column, message), n), first in zip(seen, firsts, strict=True):
            deviations.append(Deviation(code, column, n, message, int(first) if first else None))
    # What the count proved absent is not repaired row by row: a clean export's columns
    # are taken as they are.
    nulls = counts[2 + len(builder.flags) :]
    builder = _build(
        types,
        strict,
        focus_map,
        custom,
        plain=frozenset(c for c, n in zip(texts, nulls, strict=True) if not n),
        canonical=frozenset(
            column
            for (_sql, code, column, _m), n in zip(builder.flags, flag_counts, strict=True)
            if code == "value_case" and not n
        ),
    )
    # The message is only built for the rare bad row: the common case is one OR of booleans.
    problem = (
        f"CASE WHEN {' OR '.join(f'coalesce({c}, false)' for c, _m in builder.problems)} THEN "
        + "concat_ws('; ', "
        + ", ".join(f"CASE WHEN {c} THEN {m} END" for c, m in builder.problems)
        + ") END"
        if builder.problems
        else "''"
    )
    select = ",\n  ".join(
        [
            *builder.exprs,
            f"{literal(source_file)} AS x_SourceFile",
            f"{literal(source_format)} AS x_SourceFormat",
            "CAST(__row AS BIGINT) AS x_SourceRow",
            f"{literal(version)} AS x_FocusVersion",
            f"{literal(ingest_id)} AS x_IngestId",
            f"NULLIF({problem}, '') AS __problem",
        ]
    )
    # Sources their reader numbers stay a view: each later step reads only the columns it
    # needs, and the rows are materialised once, allocated and priced, on the way to the lake.
    kind = "TABLE" if materialise else "VIEW"
    con.execute(f"CREATE OR REPLACE {kind} {table} AS SELECT\n  {select}\nFROM {source}")
    if quarantined:
        first = con.execute(
            f"SELECT min(x_SourceRow) FROM {table} WHERE __problem IS NOT NULL"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        ).fetchone()
        deviations.append(
            Deviation(
                "quarantined",
                "*",
                quarantined,
                "rows whose cost, period or JSON cannot be read are kept in the quarantine",
                int(first[0]) if first and first[0] else None,
            )
        )
    return Staged(table, rows, quarantined, deviations, version)


def _count(con: duckdb.DuckDBPyConnection, source: str, parts: list[list[str]]) -> tuple[Any, ...]:
    """The aggregates of ``parts`` over ``source`` as one row; non-empty parts after the first
    run side by side on cursors of their own (a Parquet file of one row group is scanned
    by one thread per query), each reading only the columns its aggregates use."""
    parts = [p for p in parts if p]

    def run(cursor: duckdb.DuckDBPyConnection, part: list[str]) -> tuple[Any, ...]:
        row = cursor.execute(f"SELECT {', '.join(part)} FROM {source}").fetchone()  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        assert row is not None
        return tuple(row)

    if len(parts) == 1:
        return run(con, parts[0])
    cursors = [con.cursor() for _ in parts[1:]]
    try:
        with ThreadPoolExecutor(len(cursors)) as pool:
            others = [pool.submit(run, c, p) for c, p in zip(cursors, parts[1:], strict=True)]
            first = run(con, parts[0])
            return first + tuple(v for f in others for v in f.result())
    finally:
        for cursor in cursors:
            cursor.close()
