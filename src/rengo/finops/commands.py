"""``rengo finops …``: ingest billing exports, export FOCUS, rates, rebuild, scans."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from rengo.core.console import DataDirOption, console, open_runtime, progress
from rengo.core.permissions import SYSTEM
from rengo.finops import budget_import, scan, service
from rengo.finops import export as focus_export
from rengo.finops.ingest import formats
from rengo.finops.lake import Lake
from rengo.finops.settings import FinopsSettings

app = typer.Typer(
    help="FinOps: the FOCUS cost lake, allocation, anomalies, savings.", no_args_is_help=True
)


@app.command("ingest")
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Billing files; all parts of a month in one call")
    ],
    format: Annotated[
        str | None, typer.Option("--format", help=" | ".join(formats()) + " (default: detect)")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Ingest FOCUS or native billing exports; a re-ingested month replaces the old one."""
    with (
        open_runtime(data_dir, create=True) as runtime,
        runtime.db.session() as session,
        progress() as bar,
    ):
        task = bar.add_task("reading", total=len(paths) + 1)  # each file, then the lake

        def read(path: Path) -> None:
            bar.update(task, advance=1, description=f"read {path.name}")

        report = service.ingest(
            session, SYSTEM, runtime.data_dir, runtime.settings, paths, fmt=format, on_file=read
        )
        bar.update(task, advance=1, description="stored in the lake")
    for f in report.files:
        console.print(
            f"[bold]{f.file}[/]: {f.format} (FOCUS {f.focus_version}), {f.rows:,} rows, "
            f"{f.quarantined + len(f.rejected_lines)} quarantined; "
            f"source total {_amounts(f.native_totals)}"
        )
        for d in f.deviations:
            console.print(f"  - {d}")
    console.print(
        f"stored {report.rows:,} rows in {len(report.partitions)} partition(s); lake "
        f"total {_amounts(report.lake_totals)}"
    )


def _amounts(by_currency: dict[str, float]) -> str:
    """``1,234,567.89 JPY, 12.50 USD`` rather than a dict with float noise."""
    return (
        ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(by_currency.items()))
        or "0"
    )


@app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="FOCUS 1.2 file to write (.parquet or .csv)")],
    start: Annotated[str | None, typer.Option(help="First charge day (YYYY-MM-DD)")] = None,
    end: Annotated[str | None, typer.Option(help="Last charge day (YYYY-MM-DD)")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the lake as FOCUS 1.2 (the FinOps Foundation's focus-validator accepts it)."""
    with open_runtime(data_dir) as runtime:
        rows = focus_export.export(
            Lake.of(runtime.data_dir),
            out,
            start=date.fromisoformat(start) if start else None,
            end=date.fromisoformat(end) if end else None,
        )
    console.print(f"wrote {rows:,} rows to {out}")


@app.command("rates")
def rates(
    csv_file: Annotated[Path, typer.Argument(help="CSV with day,base,quote,rate[,source]")],
    data_dir: DataDirOption = None,
) -> None:
    """Import daily exchange rates (then run `rengo finops rebuild`)."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        stored = service.store_rates(
            session, service.parse_rates_csv(csv_file.read_text("utf-8"), csv_file.name)
        )
    console.print(f"{stored} rate(s) stored")


@app.command("rebuild")
def rebuild(data_dir: DataDirOption = None) -> None:
    """Re-apply allocation rules and exchange rates to the whole lake."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        files = service.rebuild_lake(session, SYSTEM, runtime.data_dir, runtime.settings)
    console.print(f"{files} partition file(s) rewritten")


@app.command("scan")
def run_scan(
    as_of: Annotated[
        str | None, typer.Option(help="Day to scan up to (default: yesterday)")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Detect anomalies, check budgets against forecasts, refresh savings recommendations."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        day = date.fromisoformat(as_of) if as_of else date.today() - timedelta(days=1)
        result = scan.run(
            session,
            service.explorer(session, runtime.data_dir),
            day,
            runtime.settings.section(FinopsSettings),
        )
    console.print(result)


budget_app = typer.Typer(
    help="Wards' information-system budgets and settlements (予算・決算).", no_args_is_help=True
)
app.add_typer(budget_app, name="budget")


@budget_app.command("import")
def budget_import_command(
    path: Annotated[Path, typer.Argument(help="CSV (UTF-8 or cp932) or Excel .xlsx file")],
    data_dir: DataDirOption = None,
) -> None:
    """Import a budget/settlement file: every line or none (docs/finops.md, the layout)."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        result = budget_import.import_budget(session, SYSTEM, path.read_bytes(), filename=path.name)
    console.print(
        f"{result.rows} line(s) stored from {path.name} (import {result.import_id}); "
        f"{result.replaced} earlier line(s) of the same ward, year and stage replaced"
    )
