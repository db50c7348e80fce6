"""``rengo opendata …``: validate and publish datasets in the standard layouts."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal

import typer

from rengo.core.console import DataDirOption, console, open_runtime
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import SYSTEM
from rengo.core.settings import load_settings
from rengo.opendata import service
from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_type, standard_types
from rengo.opendata.validate import validate_file

app = typer.Typer(help="Open data: validate and publish the wards' datasets.", no_args_is_help=True)
STANDALONE = ("validate", "types")
TYPE_HELP = "Standard type key or Japanese title (see `rengo opendata types`)"


@app.command("types")
def types() -> None:
    """List the standard dataset types (自治体標準オープンデータセット) and their columns."""
    for stype in standard_types().values():
        required = ", ".join(stype.required)
        console.print(f"[bold]{stype.key}[/] {stype.title_ja} ({stype.title_en}): {required} …")


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, BOM, cp932, UTF-16), .xlsx or .zip")],
    type_: Annotated[str, typer.Option("--type", help=TYPE_HELP)],
    ward: Annotated[
        str | None, typer.Option("--ward", help="Ward code the rows must carry")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Check a file against a standard type; every problem by row and column (exit 1 if any)."""
    settings = load_settings(data_dir=data_dir).section(OpendataSettings)
    if not file.is_file():
        raise InvalidInput("no such file", [Problem(str(file), "argument FILE")])
    started = time.perf_counter()
    _loaded, report = validate_file(file, standard_type(type_), settings, ward)
    seconds = time.perf_counter() - started
    if as_json:
        console.print_json(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        rate = report.rows / seconds if seconds else 0
        console.print(
            f"{report.source}: {report.format} {report.encoding}, {report.rows:,} rows, "
            f"{report.error_count:,} problems ({rate:,.0f} rows/s)"
        )
        for problem in report.problems:
            console.print(f"  - {problem}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command("publish")
def publish(
    files: Annotated[list[Path], typer.Argument(help="Files of the dataset (one resource each)")],
    ward: Annotated[str, typer.Option("--ward", help="Publishing ward (code or name)")],
    title: Annotated[str, typer.Option("--title", help="Dataset title")],
    type_: Annotated[str, typer.Option("--type", help=TYPE_HELP)] = "",
    kana: Annotated[str, typer.Option("--kana", help="Reading of the title in kana")] = "",
    notes: Annotated[str, typer.Option("--notes", help="Description")] = "",
    category: Annotated[str, typer.Option("--category", help="Category key")] = "",
    tags: Annotated[str, typer.Option("--tags", help="Tags, comma-separated")] = "",
    license_id: Annotated[str, typer.Option("--license", help="Licence id")] = "",
    frequency: Annotated[str, typer.Option("--frequency", help="Update frequency")] = "irregular",
    asset: Annotated[
        int | None, typer.Option("--asset", help="Register asset this publishes (機密性1 only)")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Validate every file, then publish them as one dataset (nothing if any has a problem)."""
    from rengo.core.wards import parse_tenant

    key = standard_type(type_).key if type_ else ""
    fields = service.parse_fields(
        {
            "title": title,
            "title_kana": kana,
            "notes": notes,
            "category": category,
            "tags": tags,
            "license_id": license_id,
            "frequency": frequency,
            "standard_type": key,
        }
    )
    uploads = [service.Upload(f.name, f.read_bytes()) for f in files]
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        dataset = service.publish(
            session,
            SYSTEM,
            fields,
            runtime.settings,
            runtime.data_dir,
            ward=parse_tenant(ward),
            uploads=uploads,
            asset_id=asset,
            client="cli",
        )
    console.print(f"published {dataset.name} ({dataset.id}) with {len(uploads)} resource(s)")


@app.command("harvest")
def harvest_command(
    url: Annotated[str, typer.Argument(help="CKAN portal's base URL, or a DCAT catalogue's URL")],
    ward: Annotated[str, typer.Option("--ward", help="Ward the datasets belong to")],
    protocol: Annotated[
        Literal["auto", "ckan", "dcat"],
        typer.Option("--protocol", help="auto: CKAN if the URL answers the Action API, else DCAT"),
    ] = "auto",
    rows: Annotated[
        int, typer.Option("--rows", help="Datasets per page (CKAN)", min=1, max=1000)
    ] = 100,
    data_dir: DataDirOption = None,
) -> None:
    """Harvest a CKAN or DCAT portal (incremental, idempotent); report added/changed/
    withdrawn/refused."""
    import httpx

    from rengo.core.wards import parse_tenant
    from rengo.opendata import harvest, harvest_dcat

    tenant = parse_tenant(ward)
    with (
        httpx.Client(timeout=30, follow_redirects=True) as client,
        open_runtime(data_dir) as runtime,
        runtime.db.session() as session,
        console.status("harvesting…"),
    ):
        chosen = harvest_dcat.detect(url, client) if protocol == "auto" else protocol
        if chosen == "ckan":
            report = harvest.harvest(
                session,
                SYSTEM,
                url,
                tenant,
                runtime.settings,
                runtime.data_dir,
                client=client,
                rows=rows,
            )
        else:
            report = harvest_dcat.harvest(
                session, SYSTEM, url, tenant, runtime.settings, runtime.data_dir, client=client
            )
    console.print(f"{report.source} ({chosen}): {report.summary()}")
    for name, reason in report.refused:
        console.print(f"  refused {name}: {reason}", markup=False)
