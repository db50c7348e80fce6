"""Ingest billing files into the FOCUS lake: read, convert, check, allocate, price, store.

All files given to one ingest form one batch: the (billing month, billing account)
partitions they contain replace those in the lake — give every part of a month's
export in one call, as a provider's manifest lists them. Unreadable rows and lines go
to the quarantine with their reason; every repaired deviation is counted and reported.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from rengo.core.errors import InvalidInput, Problem
from rengo.finops import focus
from rengo.finops.allocation import (
    ALLOCATION_COLUMNS,
    Rule,
    allocate_keys_sql,
    join_keys_sql,
)
from rengo.finops.currency import Rate, implied_rates, register_rates, reporting_select
from rengo.finops.lake import Lake, connection
from rengo.finops.native import Source, converters, q
from rengo.finops.normalise import Deviation, stage
from rengo.finops.readers import RejectedLine, open_raw
from rengo.finops.rollup import write_rollup

STREAM_ROWS = 200_000
"""Files with at least this many rows are converted on the fly, not held in memory."""
FORMATS = ("focus", "aws-cur", "azure", "gcp", "oci", "sakura")
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


def detect_format(columns: list[str]) -> str | None:
    lower = {c.lower() for c in columns}
    if "billedcost" in lower:
        return "focus"
    if lower & {"lineitem/unblendedcost", "line_item_unblended_cost"}:
        return "aws-cur"
    if lower & {"costinbillingcurrency", "pretaxcost"}:
        return "azure"
    if "cost/mycost" in lower:
        return "oci"
    if {"billing_account_id", "cost"} <= lower:
        return "gcp"
    if "billdetails" in lower or {"contractid", "servicesclasspath"} <= lower:
        return "sakura"
    return None


def _stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str | None, index: int, ingest_id: str
) -> tuple[str, FileReport]:
    sakura = fmt == "sakura" or (fmt is None and path.name.lower().endswith(".json"))
    raw = open_raw(con, path, f"raw{index}", sakura=sakura)
    chosen = "sakura" if sakura else (fmt or detect_format(raw.columns))
    if chosen is None:
        raise InvalidInput(
            f"{path.name}: unknown billing format",
            [Problem(f"give --format, one of {', '.join(FORMATS)}", f"{path.name}: header")],
        )
    if chosen == "focus":
        source_view = raw.view
        billed = next((c for c in raw.columns if c.lower() == "billedcost"), None)
        currency = next((c for c in raw.columns if c.lower() == "billingcurrency"), None)
        native_sql = (
            f"SELECT coalesce(CAST({q(currency)} AS VARCHAR), '?'), "
            f"sum(TRY_CAST(NULLIF(CAST({q(billed)} AS VARCHAR), 'NULL') AS DOUBLE)) FROM {raw.view} GROUP BY 1"
            if billed and currency
            else None
        )
    else:
        converter = converters()[chosen]
        source = Source(raw.columns)
        exprs = converter.expressions(source)
        select = ", ".join(f"{sql} AS {q(name)}" for name, sql in exprs.items())
        source_view = f"focus{index}"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {source_view} AS SELECT __row, {select} FROM {raw.view}"
        )
        native_sql = (
            f"SELECT coalesce({converter.currency(source)}, '?'), sum({converter.native_cost(source)}) "
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
                f"lines that do not fit the header are kept in the quarantine (first: {raw.rejected[0].error})",
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
    cur = "'" + enrichment.reporting_currency.replace("'", "''") + "'"
    exprs = [f"{source}.{q(c)}" for c in focus.column_names()]
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
        expr = computed.get(name, f"{source}.{q(name)}")
        exprs.append(f"CAST({expr} AS {sql_type}) AS {q(name)}")
    return ", ".join(exprs)


def enriched_select(con: duckdb.DuckDBPyConnection, src: str, enrichment: Enrichment) -> str:
    """SELECT of lake rows from FOCUS rows ``src``: allocated, priced, dated."""
    join = None
    if enrichment.rules:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE __alloc AS " + allocate_keys_sql(enrichment.rules, src)
        )
        join = ("__alloc", join_keys_sql(enrichment.rules, "s", "a"))
    return reporting_select(
        con, src, enrichment.reporting_currency, lake_columns_sql(enrichment), join
    )


PARTITION_COLUMNS_SQL = (
    "strftime(BillingPeriodStart + INTERVAL 9 HOUR, '%Y-%m') AS billing_month, "
    "lower(regexp_replace(coalesce(ProviderName, 'unknown'), '[^A-Za-z0-9]+', '-', 'g')) || '-' || "
    "substr(md5(coalesce(BillingAccountId, '')), 1, 10) AS account_key"
)


def ingest_files(
    lake: Lake,
    paths: list[Path],
    enrichment: Enrichment,
    *,
    fmt: str | None = None,
    ingest_id: str | None = None,
) -> IngestReport:
    """Ingest ``paths`` as one batch; returns what was stored, replaced and quarantined."""
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput("unknown format", [Problem(f"one of {', '.join(FORMATS)}", "--format")])
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
        cols = ", ".join(q(c) for c in BASE_COLUMNS)
        union = " UNION ALL ".join(f"SELECT {cols}, __problem FROM {t}" for t in tables)
        con.execute(f"CREATE OR REPLACE TEMP VIEW batch AS {union}")
        _quarantine(con, lake, report)
        report.implied_rates = implied_rates(
            con, "batch", "implied by the provider's pricing amounts"
        )
        register_rates(
            con, [*enrichment.rates, *report.implied_rates], enrichment.reporting_currency
        )
        good = "(SELECT * FROM batch WHERE __problem IS NULL)"
        select = enriched_select(con, good, enrichment)
        # A view: a batch of one partition (a month of one account, the usual export) is
        # computed and written in one streaming pass, never held whole in memory.
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW enriched AS SELECT *, {PARTITION_COLUMNS_SQL} FROM ({select})"
        )
        keys = con.execute(
            f"SELECT DISTINCT {PARTITION_COLUMNS_SQL} FROM {good} ORDER BY ALL"
        ).fetchall()
        source = "enriched"
        if len(keys) > 1:
            # Several partitions: compute the rows once rather than once per partition.
            con.execute("CREATE OR REPLACE TEMP TABLE enriched_rows AS SELECT * FROM enriched")
            source = "enriched_rows"
        staging = lake.staging_dir()
        write_partitions(con, source, staging, [(str(m), str(a)) for m, a in keys])
        # What was stored, read back from the written files (a few columns: cheap).
        if keys:
            _report_partitions(con, staging, report, enrichment.reporting_currency)
    lake.replace_partitions(staging)
    return report


def _report_partitions(
    con: duckdb.DuckDBPyConnection, staging: Path, report: IngestReport, reporting: str
) -> None:
    files = f"read_parquet('{staging}/*/*/data_*.parquet', hive_partitioning = true)"
    missing = 0
    for row in con.execute(
        "SELECT billing_month, account_key, ProviderName, BillingAccountId, BillingCurrency, "
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
    con: duckdb.DuckDBPyConnection, table: str, staging: Path, keys: list[tuple[str, str]]
) -> None:
    """One Parquet file per (billing month, account) partition of ``table`` under ``staging``.

    One COPY per partition: DuckDB's PARTITION_BY writer is several times slower on the
    few large partitions a month's export has.
    """
    for month, account in keys:
        folder = staging / f"billing_month={month}" / f"account_key={account}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT * EXCLUDE (billing_month, account_key) FROM {table} "
            "WHERE billing_month = ? AND account_key = ?) "
            f"TO '{folder / 'data_0.parquet'}' (FORMAT parquet, COMPRESSION zstd)",
            [month, account],
        )
        write_rollup(con, folder / "data_0.parquet", month)


def _quarantine(con: duckdb.DuckDBPyConnection, lake: Lake, report: IngestReport) -> None:
    bad = con.execute("SELECT count(*) FROM batch WHERE __problem IS NOT NULL").fetchone()
    if bad and bad[0]:
        target = lake.quarantine / f"{report.ingest_id}-rows.parquet"
        con.execute(
            f"COPY (SELECT * FROM batch WHERE __problem IS NOT NULL) TO '{target}' (FORMAT parquet)"
        )
        report.quarantined_totals = {
            str(c): float(t or 0)
            for c, t in con.execute(
                "SELECT coalesce(BillingCurrency, '?'), sum(BilledCost) FROM batch WHERE __problem IS NOT NULL GROUP BY 1"
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


def rebuild(lake: Lake, enrichment: Enrichment) -> int:
    """Re-apply allocation rules and exchange rates to every partition; returns files rewritten."""
    with connection() as con:
        register_rates(con, enrichment.rates, enrichment.reporting_currency)
        return lake.rewrite(con, lambda src: enriched_select(con, src, enrichment))
