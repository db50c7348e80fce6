"""Ingest billing files into the FOCUS lake: read, convert, check, allocate, price, store.

All files given to one ingest form one batch: the (billing month, billing account)
partitions they contain replace those in the lake — give every part of a month's
export in one call, as a provider's manifest lists them. Unreadable rows and lines go
to the quarantine with their reason; every repaired deviation is counted and reported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import identifier, literal, literal_or_null
from rengo.core.storage import fsync_directory, fsync_file
from rengo.finops import focus
from rengo.finops.allocation import (
    ALLOCATION_COLUMNS,
    Rule,
    allocate_keys_sql,
    join_keys_sql,
)
from rengo.finops.currency import (
    Rate,
    implied_rates,
    rate_days,
    register_rates,
    reporting_select,
)
from rengo.finops.lake import Lake, connection
from rengo.finops.native import Source, converters, detect, json_reader
from rengo.finops.normalise import Deviation, stage
from rengo.finops.readers import RejectedLine, open_raw
from rengo.finops.rollup import write_rollup

T = TypeVar("T")
STREAM_ROWS = 200_000
"""Files with at least this many rows are converted on the fly, not held in memory."""
BASE_COLUMNS = (
    *focus.column_names(),
    "x_CpuUtilization",
    "x_Custom",
    "x_SourceFile",
    "x_SourceFormat",
    "x_SourceRow",
    "x_FocusVersion",
    "x_IngestId",
)


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What turns FOCUS rows into lake rows: allocation rules and exchange rates."""

    rules: list[Rule]
    rates: list[Rate]
    reporting_currency: str = "JPY"


@dataclass(slots=True)
class FileReport:
    file: str
    format: str
    focus_version: str
    rows: int
    quarantined: int
    rejected_lines: list[RejectedLine]
    deviations: list[Deviation]
    native_totals: dict[str, float]
    """Billed amount per currency as the source states it (native column or BilledCost)."""


@dataclass(slots=True)
class PartitionReport:
    billing_month: str
    account_key: str
    provider: str
    billing_account: str
    currency: str
    rows: int
    billed_cost: float


@dataclass(slots=True)
class IngestReport:
    ingest_id: str
    format: str
    files: list[FileReport] = field(default_factory=list)
    partitions: list[PartitionReport] = field(default_factory=list)
    lake_totals: dict[str, float] = field(default_factory=dict)
    quarantined_totals: dict[str, float] = field(default_factory=dict)
    missing_rates: int = 0
    implied_rates: list[Rate] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined + len(f.rejected_lines) for f in self.files)

    @property
    def deviations(self) -> list[Deviation]:
        return [d for f in self.files for d in f.deviations]


def formats() -> tuple[str, ...]:
    """FOCUS itself, then every provider's native export."""
    return ("focus", *converters())


def detect_format(columns: list[str]) -> str | None:
    if any(c.lower() == "billedcost" for c in columns):
        return "focus"
    found = detect(columns)
    return found.name if found is not None else None


def _stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None, index: int, ingest_id: str
) -> tuple[str, FileReport]:
    as_json = (
        converters().get(fmt)
        if fmt is not None
        else json_reader()
        if path.name.lower().endswith(".json")
        else None
    )
    if as_json is not None and as_json.read_json is None:
        as_json = None
    raw = open_raw(con, path, f"raw{index}", json_rows=as_json.read_json if as_json else None)
    chosen = as_json.name if as_json is not None else (fmt or detect_format(raw.columns))
    if chosen is None:
        raise InvalidInput(
            f"{path.name}: unknown billing format",
            [Problem(f"give --format, one of {', '.join(formats())}", f"{path.name}: header")],
        )
    if chosen == "focus":
        source_view = raw.view
        billed = next((c for c in raw.columns if c.lower() == "billedcost"), None)
        currency = next((c for c in raw.columns if c.lower() == "billingcurrency"), None)
        native_sql = None
        if billed and currency:
            # A typed (Parquet) cost column is summed as it is, not through text.
            amount = (
                identifier(billed)
                if raw.types.get(billed) == "DOUBLE"
                else f"TRY_CAST(NULLIF(CAST({identifier(billed)} AS VARCHAR), 'NULL') AS DOUBLE)"
            )
            native_sql = (
                f"SELECT coalesce(CAST({identifier(currency)} AS VARCHAR), '?'), sum({amount}) "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
                f"FROM {raw.view} GROUP BY 1"
            )
    else:
        converter = converters()[chosen]
        source = Source(raw.columns)
        exprs = converter.expressions(source)
        select = ", ".join(f"{sql} AS {identifier(name)}" for name, sql in exprs.items())
        source_view = f"focus{index}"
        con.execute(
            f"CREATE OR REPLACE VIEW {source_view} AS SELECT __row, {select} FROM {raw.view}"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        )
        native_sql = (
            f"SELECT coalesce({converter.currency(source)}, '?'), "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"sum({converter.native_cost(source)}) "
            f"FROM {raw.view} GROUP BY 1"
        )
    try:
        staged = stage(
            con,
            source_view,
            table=f"staged{index}",
            source_file=path.name,
            source_format=chosen,
            ingest_id=ingest_id,
            strict=chosen == "focus",
            # A large file numbered by its reader (same rows, same order on every read) stays
            # a view; small ones are cheaper to convert once than to re-read per step.
            materialise=raw.kind not in ("parquet", "csv") or raw.rows < STREAM_ROWS,
            # Views over a file or a table, which cursors see: counted side by side.
            parallel=raw.kind in ("parquet", "csv")
            and raw.rows >= STREAM_ROWS
            and _threads(con) > 1,
        )
    except duckdb.Error as error:
        raise InvalidInput(
            f"{path.name}: cannot be converted as {chosen}",
            [Problem(str(error).splitlines()[0], path.name)],
        ) from None
    native = (
        {str(cur): float(total or 0.0) for cur, total in con.execute(native_sql).fetchall()}
        if native_sql
        else {}
    )
    deviations = list(staged.deviations)
    if raw.rejected:
        deviations.append(
            Deviation(
                "rejected_line",
                "*",
                len(raw.rejected),
                "lines that do not fit the header are kept in the quarantine "
                f"(first: {raw.rejected[0].error})",
                raw.rejected[0].line,
            )
        )
    report = FileReport(
        file=path.name,
        format=chosen,
        focus_version=staged.version if chosen == "focus" else focus.FOCUS_VERSION,
        rows=staged.rows,
        quarantined=staged.quarantined,
        rejected_lines=raw.rejected,
        deviations=deviations,
        native_totals=native,
    )
    return staged.table, report


def lake_columns_sql(enrichment: Enrichment, source: str = "s") -> str:
    """The SELECT list producing lake rows from ``s`` (FOCUS columns), the rate
    (``currency.reporting_select``) and the allocation ``a`` (``allocation.allocate_keys_sql``).
    """
    cur = literal(enrichment.reporting_currency)
    exprs = [f"{source}.{identifier(c)}" for c in focus.column_names()]
    alloc = {
        name: (f"a.__{name}" if enrichment.rules else "CAST(NULL AS VARCHAR)")
        for name in ALLOCATION_COLUMNS
    }
    computed = {
        "x_ChargeDate": f"{source}.__day",
        **alloc,
        "x_ReportingCurrency": cur,
        "x_ExchangeRate": "__rate",
        "x_ExchangeRateDate": "__rate_day",
        "x_ExchangeRateSource": "__rate_source",
        "x_BilledCostReporting": f"{source}.BilledCost * __rate",
        "x_EffectiveCostReporting": f"{source}.EffectiveCost * __rate",
    }
    for name, sql_type in focus.LAKE_EXTRA_COLUMNS:
        expr = computed.get(name, f"{source}.{identifier(name)}")
        exprs.append(f"CAST({expr} AS {sql_type}) AS {identifier(name)}")
    return ", ".join(exprs)


def prepare_enrichment(
    con: duckdb.DuckDBPyConnection, src: str, enrichment: Enrichment, *, days: str | None = None
) -> None:
    """The allocation of every distinct rule key and the rate of every (currency, day) of
    ``src`` (or of ``days``, a relation with the same currencies and charge periods), as
    small tables that ``enriched_sql`` joins rows of ``src`` to."""
    allocate(con, src, enrichment)
    rate_days(con, days or src, enrichment.reporting_currency)


def allocate(con: duckdb.DuckDBPyConnection, src: str, enrichment: Enrichment) -> None:
    """The allocation of every distinct rule key of ``src``, as the table ``__alloc``."""
    if enrichment.rules:
        con.execute(
            "CREATE OR REPLACE TABLE __alloc AS " + allocate_keys_sql(enrichment.rules, src)
        )


def _implied_rates(con: duckdb.DuckDBPyConnection) -> list[Rate]:
    return implied_rates(con, "good", "implied by the provider's pricing amounts")


def _on_cursor(con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    cursor = con.cursor()
    try:
        return work(cursor)
    finally:
        cursor.close()


def enriched_sql(src: str, enrichment: Enrichment) -> str:
    """SELECT of lake rows (allocated, priced, dated) from FOCUS rows ``src``, which
    ``prepare_enrichment`` has seen."""
    join = ("__alloc", join_keys_sql(enrichment.rules, "s", "a")) if enrichment.rules else None
    return reporting_select(src, lake_columns_sql(enrichment), join)


def enriched_select(con: duckdb.DuckDBPyConnection, src: str, enrichment: Enrichment) -> str:
    prepare_enrichment(con, src, enrichment)
    return enriched_sql(src, enrichment)


MONTH_SQL = "strftime(BillingPeriodStart + INTERVAL 9 HOUR, '%Y-%m')"
ACCOUNT_KEY_SQL = (
    "lower(regexp_replace(coalesce(ProviderName, 'unknown'), '[^A-Za-z0-9]+', '-', 'g')) || '-' || "
    "substr(md5(coalesce(BillingAccountId, '')), 1, 10)"
)
MATERIALISE_OVER = 8
"""A batch of more partitions is enriched once into memory rather than re-read per partition."""


@dataclass(frozen=True, slots=True)
class Partition:
    billing_month: str
    account_key: str
    sources: tuple[tuple[str | None, str | None, str | None], ...]
    """The (month, ProviderName, BillingAccountId) triples whose rows it holds."""
    rows: int = 0
    """How many rows it holds (largest partitions are written first)."""

    def condition_sql(self) -> str:
        """WHERE condition of its rows over FOCUS columns: plain comparisons on the columns
        themselves, so that DuckDB pushes them into the scan of the source file."""
        return " OR ".join(
            "("
            + " AND ".join(
                [
                    _month_sql(month),
                    f"ProviderName IS NOT DISTINCT FROM {literal_or_null(provider)}",
                    f"BillingAccountId IS NOT DISTINCT FROM {literal_or_null(account)}",
                ]
            )
            + ")"
            for month, provider, account in self.sources
        )


def _month_sql(month: str | None) -> str:
    """Billing periods starting in ``month`` (Japan time, as ``MONTH_SQL`` writes it): as a
    range of instants, which a Parquet scan applies itself (skipping row groups) and which
    costs no formatting per row; as the text of the month where it is no plain month."""
    try:
        year, mon = (int(part) for part in (month or "").split("-"))
    except ValueError:
        year = mon = 0
    if not (1 <= year < 9999 and 1 <= mon <= 12 and month == f"{year:04d}-{mon:02d}"):
        return f"{MONTH_SQL} IS NOT DISTINCT FROM {literal_or_null(month)}"
    end = f"{year + mon // 12:04d}-{mon % 12 + 1:02d}-01"
    return (
        f"BillingPeriodStart >= TIMESTAMPTZ '{month}-01 00:00:00+09' "
        f"AND BillingPeriodStart < TIMESTAMPTZ '{end} 00:00:00+09'"
    )


def partitions_of(con: duckdb.DuckDBPyConnection, src: str) -> list[Partition]:
    """The (billing month, account) partitions of ``src``: named from its few distinct
    (month, provider, account) triples, not row by row. ``src`` may count its rows in
    ``__n`` (as ``__keys`` does); otherwise every row counts one."""
    has_n = any(r[0] == "__n" for r in con.execute(f"DESCRIBE {src}").fetchall())
    n = "__n" if has_n else "1"
    found: dict[tuple[str, str], list[tuple[str | None, str | None, str | None]]] = {}
    rows: dict[tuple[str, str], int] = {}
    for month, provider, account, key, count in con.execute(
        f"SELECT __m, ProviderName, BillingAccountId, {ACCOUNT_KEY_SQL}, __rows FROM "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        f"(SELECT {MONTH_SQL} AS __m, ProviderName, BillingAccountId, sum({n}) AS __rows "
        f"FROM {src} GROUP BY ALL) ORDER BY ALL"
    ).fetchall():
        found.setdefault((str(month), str(key)), []).append((month, provider, account))
        rows[(str(month), str(key))] = rows.get((str(month), str(key)), 0) + int(count or 0)
    return [
        Partition(m, a, tuple(sources), rows[(m, a)]) for (m, a), sources in sorted(found.items())
    ]


def ingest_files(
    lake: Lake,
    paths: list[Path],
    enrichment: Enrichment,
    *,
    fmt: str | None = None,
    ingest_id: str | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Ingest ``paths`` as one batch; returns what was stored, replaced and quarantined.
    ``on_file`` hears of each file once it is read (a progress bar)."""
    if fmt is not None and fmt not in formats():
        raise InvalidInput(
            "unknown format", [Problem(f"one of {', '.join(formats())}", "--format")]
        )
    if not paths:
        raise InvalidInput("nothing to ingest", [Problem("give at least one file", "PATH")])
    ingest_id = ingest_id or uuid.uuid4().hex
    report = IngestReport(ingest_id=ingest_id, format=fmt or "auto")
    with connection() as con:
        tables = []
        for i, path in enumerate(paths):
            table, file_report = _stage_file(con, path, fmt, i, ingest_id)
            tables.append(table)
            report.files.append(file_report)
            if on_file is not None:
                on_file(path)
        cols = ", ".join(identifier(c) for c in BASE_COLUMNS)
        # Files without unreadable rows (the usual case) skip the per-row check entirely.
        good = " UNION ALL ".join(
            f"SELECT {cols} FROM {t}" + (" WHERE __problem IS NULL" if f.quarantined else "")  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            for t, f in zip(tables, report.files, strict=True)
        )
        con.execute(f"CREATE OR REPLACE VIEW good AS {good}")
        _quarantine(con, lake, report, tables, cols)
        with ThreadPoolExecutor(1) as pool:
            # Rates the provider's amounts imply, beside the keys and allocation (each a scan
            # of the rows; one thread each where the source is a file of one row group).
            implied = pool.submit(_on_cursor, con, _implied_rates)
            # The few distinct (month, account, currency, charge period) combinations, read
            # once: partitions and the rates of every day come from them, not from the rows.
            con.execute(
                "CREATE OR REPLACE TABLE __keys AS SELECT BillingPeriodStart, ProviderName, "
                "BillingAccountId, BillingCurrency, ChargePeriodStart, count(*) AS __n FROM good "
                "GROUP BY ALL"
            )
            allocate(con, "good", enrichment)
            report.implied_rates = implied.result()
        register_rates(
            con, [*enrichment.rates, *report.implied_rates], enrichment.reporting_currency
        )
        rate_days(con, "__keys", enrichment.reporting_currency)
        partitions = partitions_of(con, "__keys")
        source = "good"
        if len(partitions) > MATERIALISE_OVER:
            # Many partitions: check and convert the rows once rather than once per partition.
            con.execute("CREATE OR REPLACE TABLE good_rows AS SELECT * FROM good")
            source = "good_rows"
        staging = lake.staging_dir()
        write_partitions(con, source, enrichment, staging, partitions)
        # What was stored, read back from the written files (a few columns: cheap).
        if partitions:
            _report_partitions(con, staging, report, enrichment.reporting_currency)
    lake.replace_partitions(staging)
    return report


def _report_partitions(
    con: duckdb.DuckDBPyConnection, staging: Path, report: IngestReport, reporting: str
) -> None:
    files = f"read_parquet('{staging}/*/*/data_*.parquet', hive_partitioning = true)"
    missing = 0
    for row in con.execute(
        "SELECT billing_month, account_key, ProviderName, BillingAccountId, BillingCurrency, "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        f"count(*), sum(BilledCost), count(*) FILTER (WHERE x_ExchangeRate IS NULL) FROM {files} "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall():
        report.partitions.append(
            PartitionReport(
                str(row[0]),
                str(row[1]),
                row[2] or "",
                row[3] or "",
                row[4] or "",
                int(row[5]),
                float(row[6] or 0),
            )
        )
        currency = str(row[4])
        report.lake_totals[currency] = report.lake_totals.get(currency, 0.0) + float(row[6] or 0)
        missing += int(row[7])
    report.missing_rates = missing
    if missing and report.files:
        report.files[0].deviations.append(
            Deviation(
                "no_exchange_rate",
                "BillingCurrency",
                missing,
                f"no rate into {reporting} on or before the charge day: reporting amounts stay "
                "empty until rates are imported and `rengo finops rebuild` runs",
            )
        )


def write_partitions(
    con: duckdb.DuckDBPyConnection,
    src: str,
    enrichment: Enrichment,
    staging: Path,
    partitions: list[Partition],
) -> None:
    """One Parquet file per (billing month, account) partition of ``src`` under ``staging``,
    with its rollup beside it, both on disk (fsynced) when this returns.

    Each partition streams from the source through checks, allocation and pricing into
    its file in one COPY, its rows picked by a condition the source scan applies: no copy
    of the batch is held in memory. (Enriching the batch into a table first cost as much
    as writing it; DuckDB's PARTITION_BY writer was slower still.) A COPY from a file of
    one row group runs on one thread, so partitions are written side by side, one per
    DuckDB thread on a cursor of its own, the largest first.
    """
    workers = min(len(partitions), _threads(con))
    if workers <= 1:
        for part in partitions:
            _write_partition(con, src, enrichment, staging, part)
        return
    order = sorted(partitions, key=lambda p: -p.rows)
    with ThreadPoolExecutor(workers, thread_name_prefix="finops-write") as pool:
        futures = [
            pool.submit(
                _on_cursor,
                con,
                partial(
                    _write_partition, src=src, enrichment=enrichment, staging=staging, part=part
                ),
            )
            for part in order
        ]
        for future in futures:
            future.result()


def _threads(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def _write_partition(
    con: duckdb.DuckDBPyConnection,
    src: str,
    enrichment: Enrichment,
    staging: Path,
    part: Partition,
) -> None:
    folder = staging / f"billing_month={part.billing_month}" / f"account_key={part.account_key}"
    folder.mkdir(parents=True, exist_ok=True)
    rows = f"(SELECT * FROM {src} WHERE {part.condition_sql()})"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    data = folder / "data_0.parquet"
    con.execute(
        f"COPY ({enriched_sql(rows, enrichment)}) TO {literal(data)} (FORMAT parquet, COMPRESSION "
        "zstd)"
    ).fetchall()
    write_rollup(con, data, part.billing_month)  # synced as it is written
    # DuckDB does not sync what COPY writes: the file, then its folder, before the
    # partition is swapped into the lake.
    fsync_file(data)
    fsync_directory(folder)


def _quarantine(
    con: duckdb.DuckDBPyConnection, lake: Lake, report: IngestReport, tables: list[str], cols: str
) -> None:
    # Counted while staging: only files with unreadable rows are read for them again.
    bad = [
        f"SELECT {cols}, __problem FROM {t} WHERE __problem IS NOT NULL"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        for t, f in zip(tables, report.files, strict=True)
        if f.quarantined
    ]
    if bad:
        con.execute(f"CREATE OR REPLACE TABLE bad_rows AS {' UNION ALL '.join(bad)}")
        target = lake.quarantine / f"{report.ingest_id}-rows.parquet"
        con.execute(f"COPY bad_rows TO {literal(target)} (FORMAT parquet)").fetchall()
        fsync_file(target)
        report.quarantined_totals = {
            str(c): float(t or 0)
            for c, t in con.execute(
                "SELECT coalesce(BillingCurrency, '?'), sum(BilledCost) FROM bad_rows GROUP BY 1"
            ).fetchall()
        }
    lines = [(f.file, r.line, r.error, r.text) for f in report.files for r in f.rejected_lines]
    if lines:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(
            {
                "file": [x[0] for x in lines],
                "line": [x[1] for x in lines],
                "error": [x[2] for x in lines],
                "text": [x[3] for x in lines],
            }
        )
        pq.write_table(table, lake.quarantine / f"{report.ingest_id}-lines.parquet")
        fsync_file(lake.quarantine / f"{report.ingest_id}-lines.parquet")
    if bad or lines:
        fsync_directory(lake.quarantine)


def rebuild(lake: Lake, enrichment: Enrichment) -> int:
    """Re-apply allocation rules and exchange rates to every partition; returns files rewritten."""
    with connection() as con:
        register_rates(con, enrichment.rates, enrichment.reporting_currency)
        return lake.rewrite(con, lambda src: enriched_select(con, src, enrichment))
