"""Disclosure control: what may leave the zone, processed by the five standards for
匿名加工情報 (個人情報の保護に関する法律施行規則 第34条 各号), each step recording what it
touched — the release report the privacy officer approves.

1. 特定の個人を識別することができる記述等の削除 — direct identifiers (name, address, phone)
2. 個人識別符号の削除 — 個人番号 and other identification codes, also found inside text
3. 連結する符号の削除 — codes that link back to the source records (ids, person keys)
4. 特異な記述等の削除 — unusual values (very high ages, categories too rare to hide in)
5. その他の措置 — k-anonymity by generalisation and suppression, l-diversity of sensitive
   attributes; for tables of counts, small-cell suppression

The steps are data (``STANDARDS``) and run in order over an Arrow table inside DuckDB, so a
million rows are anonymised in seconds.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from rengo.ebpm.zone import normalise


class ColumnKind(enum.StrEnum):
    DIRECT = "direct"
    """Identifies a person by itself (氏名, 住所, 電話番号)."""
    CODE = "code"
    """個人識別符号 (個人番号, 被保険者番号, 旅券番号 …)."""
    LINK = "link"
    """Links back to source records (record ids, the zone's person key)."""
    QUASI = "quasi"
    """Identifies in combination (age, sex, town, date of birth)."""
    SENSITIVE = "sensitive"
    """The attribute analysed (care level, diagnosis); kept, diversity checked."""
    OTHER = "other"


class Hierarchy(enum.StrEnum):
    """How a quasi-identifier is generalised, one level at a time."""

    AGE = "age"
    DATE = "date"
    ADDRESS = "address"
    CATEGORY = "category"


@dataclass(frozen=True, slots=True)
class ColumnRule:
    kind: ColumnKind
    hierarchy: Hierarchy = Hierarchy.CATEGORY


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class _Rows:
    rows: list[tuple[Any, ...]]

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


def _sql(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> _Rows:
    """Run ``query`` to the end (DuckDB keeps a connection busy until a result is read)."""
    return _Rows(con.execute(query, params).fetchall())


# Each level of a hierarchy is an SQL expression over ``{c}`` (the quoted column); the
# last level hides the value entirely. Outputs are text so that a release reads the same
# whatever the source type.
LEVELS: dict[Hierarchy, tuple[str, ...]] = {
    Hierarchy.AGE: (
        "CAST({c} AS VARCHAR)",
        "CAST({c} // 5 * 5 AS VARCHAR) || '-' || CAST({c} // 5 * 5 + 4 AS VARCHAR)",
        "CAST({c} // 10 * 10 AS VARCHAR) || '-' || CAST({c} // 10 * 10 + 9 AS VARCHAR)",
        "CAST({c} // 20 * 20 AS VARCHAR) || '-' || CAST({c} // 20 * 20 + 19 AS VARCHAR)",
        "'*'",
    ),
    Hierarchy.DATE: (
        "CAST({c} AS VARCHAR)",
        "substr(CAST({c} AS VARCHAR), 1, 7)",
        "substr(CAST({c} AS VARCHAR), 1, 4)",
        "CAST(year(CAST({c} AS DATE)) // 5 * 5 AS VARCHAR) || '-' "
        "|| CAST(year(CAST({c} AS DATE)) // 5 * 5 + 4 AS VARCHAR)",
        "'*'",
    ),
    Hierarchy.ADDRESS: (
        "CAST({c} AS VARCHAR)",
        # The town without its 丁目 (世田谷区太子堂), then the ward (世田谷区).
        "regexp_extract(CAST({c} AS VARCHAR), '^([^0-9０-９]*)', 1)",
        "regexp_extract(CAST({c} AS VARCHAR), '^(.*?区)', 1)",
        "'*'",
    ),
    Hierarchy.CATEGORY: ("CAST({c} AS VARCHAR)", "'*'"),
}
TOP_AGE = 90
"""Ages at or above this are unusual in a ward's register and shown as ``90+``."""


@dataclass(slots=True)
class StepReport:
    standard: int
    """The number of the standard in 施行規則 第34条."""
    title_ja: str
    title_en: str
    columns: list[str] = field(default_factory=list)
    cells_changed: int = 0
    rows_suppressed: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ReleaseReport:
    steps: list[StepReport]
    rows_in: int
    rows_out: int
    k: int
    k_achieved: int | None
    l_required: int
    l_achieved: int | None
    classes: int
    max_risk: float
    average_risk: float
    generalisation: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True, slots=True)
class Policy:
    k: int = 5
    l_diversity: int = 2
    suppression_limit: float = 0.02
    """Share of rows that may be suppressed rather than generalising further."""
    rare_share: float = 0.001
    """Categories of a quasi-identifier held by fewer rows than this share are unusual."""


Step = Callable[[duckdb.DuckDBPyConnection, dict[str, ColumnRule], Policy, StepReport], None]
MY_NUMBER = re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")


def _columns(rules: Mapping[str, ColumnRule], kind: ColumnKind) -> list[str]:
    return [name for name, rule in rules.items() if rule.kind is kind]


def _drop(kind: ColumnKind) -> Step:
    def step(
        con: duckdb.DuckDBPyConnection,
        rules: dict[str, ColumnRule],
        policy: Policy,
        report: StepReport,
    ) -> None:
        names = _columns(rules, kind)
        if names:
            rows = _sql(con, "SELECT count(*) FROM release").fetchone()
            _sql(
                con,
                "CREATE OR REPLACE TABLE release AS SELECT * EXCLUDE ("  # noqa: S608 - table and column names from code, values bound
                + ", ".join(_ident(n) for n in names)
                + ") FROM release",
            )
            report.cells_changed = len(names) * (rows[0] if rows else 0)
        for name in names:
            del rules[name]
        report.columns = names

    return step


def _remove_codes_in_text(
    con: duckdb.DuckDBPyConnection,
    rules: dict[str, ColumnRule],
    policy: Policy,
    report: StepReport,
) -> None:
    _drop(ColumnKind.CODE)(con, rules, policy, report)
    # A 個人番号 written into a free-text column is a code too: blank the cell.
    texts = [
        n
        for n, rule in rules.items()
        if rule.kind in (ColumnKind.OTHER, ColumnKind.SENSITIVE)
        and _sql(con, f"SELECT typeof({_ident(n)}) FROM release LIMIT 1").fetchone()  # noqa: S608 - table and column names from code, values bound
        in (("VARCHAR",),)
    ]
    for name in texts:
        values = _sql(con, f"SELECT DISTINCT {_ident(name)} FROM release").rows  # noqa: S608 - table and column names from code, values bound
        leaking = [
            v
            for (v,) in values
            if v is not None
            and any(
                normalise.individual_number_is_valid(m.replace(" ", "").replace("-", ""))
                for m in MY_NUMBER.findall(str(v))
            )
        ]
        if leaking:
            changed = _sql(
                con,
                f"UPDATE release SET {_ident(name)} = NULL WHERE {_ident(name)} IN (SELECT "  # noqa: S608 - table and column names from code, values bound
                "unnest(?))",
                [leaking],
            ).fetchone()
            report.cells_changed += int(changed[0]) if changed else 0
            report.columns.append(name)


def _unusual_values(
    con: duckdb.DuckDBPyConnection,
    rules: dict[str, ColumnRule],
    policy: Policy,
    report: StepReport,
) -> None:
    (rows,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
    for name, rule in rules.items():
        column = _ident(name)
        if rule.kind is not ColumnKind.QUASI:
            continue
        if rule.hierarchy is Hierarchy.AGE:
            changed = _sql(
                con,
                f"UPDATE release SET {column} = {TOP_AGE} WHERE {column} > {TOP_AGE}",  # noqa: S608 - table and column names from code, values bound
            ).fetchone()
            touched = int(changed[0]) if changed else 0
            report.detail[name] = {"top_coded_at": TOP_AGE, "cells": touched}
        elif rule.hierarchy is Hierarchy.CATEGORY:
            floor = max(1, int(rows * policy.rare_share))
            changed = _sql(
                con,
                f"UPDATE release SET {column} = 'その他' WHERE {column} IN ("  # noqa: S608 - table and column names from code, values bound
                f"SELECT {column} FROM release GROUP BY 1 HAVING count(*) < ?)",
                [floor],
            ).fetchone()
            touched = int(changed[0]) if changed else 0
            report.detail[name] = {"rare_below": floor, "cells": touched}
        else:
            continue
        if touched:
            report.columns.append(name)
            report.cells_changed += touched


def level_expression(rule: ColumnRule, name: str, level: int) -> str:
    expression = LEVELS[rule.hierarchy][level].format(c=_ident(name))
    if rule.hierarchy is Hierarchy.AGE and level < len(LEVELS[Hierarchy.AGE]) - 1:
        # Top-coded ages read as "90+", whatever the band width.
        return f"CASE WHEN {_ident(name)} >= {TOP_AGE} THEN '{TOP_AGE}+' ELSE {expression} END"
    return expression


def _generalised(rules: Mapping[str, ColumnRule], levels: Mapping[str, int]) -> str:
    return ", ".join(f"{level_expression(rules[n], n, levels[n])} AS {_ident(n)}" for n in levels)


def _level_column(qi_index: int, level: int) -> str:
    return _ident(f"__q{qi_index}_{level}")


def _small_rows(con: duckdb.DuckDBPyConnection, keys: list[str], k: int) -> int:
    """Rows in classes smaller than ``k`` when grouped by the level columns ``keys``."""
    row = _sql(
        con,
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM levels "  # noqa: S608 - table and column names from code, values bound
        f"GROUP BY {', '.join(keys)}) WHERE n < ?",
        [k],
    ).fetchone()
    return int(row[0]) if row else 0


def _k_anonymity(
    con: duckdb.DuckDBPyConnection,
    rules: dict[str, ColumnRule],
    policy: Policy,
    report: StepReport,
) -> None:
    qis = _columns(rules, ColumnKind.QUASI)
    levels = dict.fromkeys(qis, 0)
    (rows,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
    allowed = int(rows * policy.suppression_limit)
    # Every level of every quasi-identifier computed once: the search below only groups.
    if qis:
        expressions = ", ".join(
            f"{level_expression(rules[n], n, level)} AS {_level_column(i, level)}"
            for i, n in enumerate(qis)
            for level in range(len(LEVELS[rules[n].hierarchy]))
        )
        _sql(con, f"CREATE OR REPLACE TEMP TABLE levels AS SELECT {expressions} FROM release")  # noqa: S608 - table and column names from code, values bound

    def violators_at(candidate: dict[str, int]) -> int:
        keys = [_level_column(i, candidate[n]) for i, n in enumerate(qis)]
        return _small_rows(con, keys, policy.k)

    # Greedy bottom-up generalisation: each round raises by one level the
    # quasi-identifier that leaves the fewest rows in classes smaller than k (ties: the
    # least generalised), until those rows fit within the suppression limit.
    violators = violators_at(levels) if qis else 0
    while qis and violators > allowed:
        open_levels = [n for n in qis if levels[n] < len(LEVELS[rules[n].hierarchy]) - 1]
        if not open_levels:
            break
        outcomes = {n: violators_at({**levels, n: levels[n] + 1}) for n in open_levels}
        chosen = min(open_levels, key=lambda n: (outcomes[n], levels[n]))
        levels[chosen] += 1
        violators = outcomes[chosen]
    if qis:
        keys = ", ".join(_ident(n) for n in qis)
        others = [n for n in rules if n not in qis]
        rest = "".join(f", {_ident(n)}" for n in others)
        _sql(
            con,
            f"CREATE OR REPLACE TABLE release AS SELECT * EXCLUDE (__class_size) FROM ("  # noqa: S608 - table and column names from code, values bound
            f"SELECT *, count(*) OVER (PARTITION BY {keys}) AS __class_size FROM ("
            f"SELECT {_generalised(rules, levels)}{rest} FROM release)) WHERE __class_size >= ?",
            [policy.k],
        )
        (after,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
        report.rows_suppressed = rows - after
        report.columns = qis
        report.detail["k"] = policy.k
        report.detail["levels"] = levels
        _sql(con, "DROP TABLE levels")
    _l_diversity(con, rules, policy, report)


def _l_diversity(
    con: duckdb.DuckDBPyConnection,
    rules: dict[str, ColumnRule],
    policy: Policy,
    report: StepReport,
) -> None:
    qis = _columns(rules, ColumnKind.QUASI)
    sensitive = _columns(rules, ColumnKind.SENSITIVE)
    if not qis or not sensitive or policy.l_diversity <= 1:
        return
    keys = ", ".join(_ident(n) for n in qis)
    (before,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
    for name in sensitive:
        _sql(
            con,
            f"CREATE OR REPLACE TABLE release AS SELECT * EXCLUDE (__diversity) FROM ("  # noqa: S608 - table and column names from code, values bound
            f"SELECT *, count(DISTINCT {_ident(name)}) OVER (PARTITION BY {keys}) AS __diversity "
            f"FROM release) WHERE __diversity >= ?",
            [policy.l_diversity],
        )
    (after,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
    report.rows_suppressed += before - after
    report.detail["l"] = policy.l_diversity
    report.detail["l_suppressed"] = before - after


@dataclass(frozen=True, slots=True)
class Standard:
    number: int
    title_ja: str
    title_en: str
    apply: Step


STANDARDS: tuple[Standard, ...] = (
    Standard(
        1,
        "特定の個人を識別することができる記述等の削除",
        "Identifying descriptions deleted",
        _drop(ColumnKind.DIRECT),
    ),
    Standard(
        2, "個人識別符号の削除", "Individual identification codes deleted", _remove_codes_in_text
    ),
    Standard(3, "連結する符号の削除", "Linking codes deleted", _drop(ColumnKind.LINK)),
    Standard(4, "特異な記述等の削除", "Unusual values deleted", _unusual_values),
    Standard(
        5,
        "個人情報データベース等の性質を勘案した措置(k-匿名化・l-多様性)",
        "Measures for the data's characteristics (k-anonymity, l-diversity)",
        _k_anonymity,
    ),
)


def anonymise(
    table: pa.Table, rules: Mapping[str, ColumnRule], policy: Policy = Policy()
) -> tuple[pa.Table, ReleaseReport]:
    """``table`` processed by the five standards, with the report of what each touched."""
    unknown = [name for name in table.column_names if name not in rules]
    if unknown:
        raise ValueError(f"columns without a classification: {', '.join(unknown)}")
    working = dict(rules)
    con = duckdb.connect()
    try:
        con.register("source", table)
        _sql(con, "CREATE TABLE release AS SELECT * FROM source")
        steps = []
        for standard in STANDARDS:
            report = StepReport(standard.number, standard.title_ja, standard.title_en)
            standard.apply(con, working, policy, report)
            steps.append(report)
        released = con.sql("SELECT * FROM release").to_arrow_table()
        risk = _risk(con, working, policy)
    finally:
        con.close()
    levels = steps[-1].detail.get("levels", {})
    return released, ReleaseReport(
        steps=steps,
        rows_in=table.num_rows,
        rows_out=released.num_rows,
        k=policy.k,
        l_required=policy.l_diversity,
        generalisation=dict(levels),
        **risk,
    )


def _risk(
    con: duckdb.DuckDBPyConnection, rules: Mapping[str, ColumnRule], policy: Policy
) -> dict[str, Any]:
    """Prosecutor re-identification risk of the released rows: the largest (1 / smallest
    class) and the average (classes / rows)."""
    qis = _columns(rules, ColumnKind.QUASI)
    sensitive = _columns(rules, ColumnKind.SENSITIVE)
    (rows,) = _sql(con, "SELECT count(*) FROM release").fetchone() or (0,)
    if not qis or not rows:
        return {
            "k_achieved": None,
            "l_achieved": None,
            "classes": 0,
            "max_risk": 0.0,
            "average_risk": 0.0,
        }
    keys = ", ".join(_ident(n) for n in qis)
    distinct = ", ".join(f"count(DISTINCT {_ident(n)}) AS {_ident('l_' + n)}" for n in sensitive)
    query = (
        "SELECT count(*) AS classes, min(n) AS k_min"  # noqa: S608 - table and column names from code, values bound
        + "".join(f", min({_ident('l_' + n)})" for n in sensitive)
        + (
            f" FROM (SELECT count(*) AS n{', ' + distinct if distinct else ''} FROM release GROUP "  # noqa: S608 - table and column names from code, values bound
            f"BY {keys})"
        )
    )
    result = _sql(con, query).fetchone() or (0, 0)
    classes, k_min = int(result[0]), int(result[1])
    l_values = [int(v) for v in result[2:]]
    return {
        "k_achieved": k_min,
        "l_achieved": min(l_values) if l_values else None,
        "classes": classes,
        "max_risk": 1 / k_min if k_min else 0.0,
        "average_risk": classes / rows,
    }
