"""``rengo drills …``: validate and list scenarios, run a live exercise, report, purge."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rengo.core.console import DataDirOption, console, err_console, open_runtime
from rengo.core.errors import RengoError
from rengo.core.permissions import SYSTEM
from rengo.core.reports import japanese_font
from rengo.drills.loader import RuleCatalog, library, library_paths, load, require
from rengo.drills.models import OnRestart, Transport
from rengo.drills.scenario import Scenario
from rengo.drills.telemetry import templates

app = typer.Typer(
    help="Joint cyber exercises: scenarios, live runs through the real SOC/CSIRT, reports.",
    no_args_is_help=True,
)


def _catalog(data_dir: Path | None) -> RuleCatalog:
    from rengo.drills.catalog import rule_catalog

    with open_runtime(data_dir) as runtime:
        return rule_catalog(runtime)


@app.command("validate")
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files")],
    strict: Annotated[bool, typer.Option(help="Warnings fail too")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Check scenarios: every error and warning with file:line and field."""
    rules = _catalog(data_dir)
    failed = False
    for path in files:
        loaded = load(path, rules)
        for problem in loaded.problems:
            err_console.print(f"[red]error[/] {problem.location}: {problem.message}")
        for problem in loaded.warnings:
            err_console.print(f"[yellow]warning[/] {problem.location}: {problem.message}")
        failed |= bool(loaded.problems) or (strict and bool(loaded.warnings))
        if loaded.ok:
            console.print(f"{path}: ok ({loaded.scenario.id if loaded.scenario else ''})")
    if failed:
        raise typer.Exit(1)


@app.command("list")
def list_scenarios(data_dir: DataDirOption = None) -> None:
    """The scenario library shipped with rengo (and whether each can run here)."""
    rules = _catalog(data_dir)
    table = Table("id", "kind", "title", "wards", "injects", "expectations", "check")
    for path in library_paths():
        loaded = load(path, rules)
        s = loaded.scenario
        if s is None:
            table.add_row(path.stem, "", "", "", "", "", f"{len(loaded.problems)} errors")
            continue
        check = (
            "ok"
            if loaded.ok and not loaded.warnings
            else (f"{len(loaded.problems)} errors, {len(loaded.warnings)} warnings")
        )
        table.add_row(
            s.id,
            s.kind.value,
            f"{s.title.ja}\n{s.title.en}",
            str(s.wards.count),
            str(len(s.injects)),
            str(len(s.expectations)),
            check,
        )
    console.print(table)


@app.command("templates")
def list_templates() -> None:
    """Telemetry templates a scenario's injects may use."""
    for name, description in templates().items():
        console.print(f"{name}\t{description}")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of scenario documents."""
    console.print_json(json.dumps(Scenario.model_json_schema()))


def _scenario(reference: str, rules: RuleCatalog) -> Scenario:
    path = Path(reference)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return require(load(path, rules))
    shipped = library(rules)
    if reference not in shipped:
        raise typer.BadParameter(
            f"neither a file nor a scenario of the library ({', '.join(sorted(shipped))})"
        )
    return require(shipped[reference])


def _aware(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            "ISO 8601, e.g. 2026-12-07T10:00+09:00", param_hint="--start-at"
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time zone, e.g. +09:00", param_hint="--start-at")
    return moment


@app.command("run")
def run(
    scenario: Annotated[str, typer.Argument(help="Library scenario id or a YAML file")],
    wards: Annotated[str, typer.Option(help="Ward codes, comma-separated")] = "",
    speed: Annotated[float | None, typer.Option(help="Time compression (×N)")] = None,
    start_at: Annotated[
        str | None, typer.Option(help="Wait until this time (ISO 8601 with zone)")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Base URL of the rengo server")] = None,
    on_restart: Annotated[
        OnRestart,
        typer.Option(
            help="If this run stops midway: the server resumes it, or marks it interrupted"
        ),
    ] = "resume",
    transport: Annotated[
        Transport,
        typer.Option(help="Send as a ward's collector over HTTP, or FortiGate logs by syslog"),
    ] = "http",
    data_dir: DataDirOption = None,
) -> None:
    """Run a live exercise through the running server's ingest; wait until it ends."""
    from rengo.drills.catalog import rule_catalog
    from rengo.drills.live import LiveRunner
    from rengo.drills.service import create_exercise
    from rengo.drills.settings import DrillsSettings

    begin = _aware(start_at) if start_at else None
    with open_runtime(data_dir) as runtime:
        rules = rule_catalog(runtime)
        speed = speed or runtime.settings.section(DrillsSettings).default_speed
        try:
            document = _scenario(scenario, rules)
            now = runtime.clock.now()
            with runtime.db.session() as session:
                exercise = create_exercise(
                    session,
                    SYSTEM,
                    document,
                    wards=[w.strip() for w in wards.split(",") if w.strip()],
                    speed=speed,
                    start_at=begin or now,
                    now=now,
                    on_restart=on_restart,
                    transport=transport,
                )
                public_id = exercise.public_id
        except RengoError as exc:
            for problem in exc.problems or []:
                err_console.print(f"[red]error[/] {problem}")
            err_console.print(f"[red]{exc.message}[/]")
            raise typer.Exit(1) from None
        if begin is not None:
            wait = (begin - runtime.clock.now()).total_seconds()
            if wait > 0:
                console.print(f"{public_id}: starting at {begin.isoformat()}")
                threading.Event().wait(wait)
        runner = LiveRunner(runtime, public_id, rules, base_url=url)
        runner.start(SYSTEM)
        console.print(f"{public_id}: running ({document.id}, ×{speed:g})")
        status = runner.run()
        console.print(
            f"{public_id}: {status}; {runner.stats.sent} records sent ({runner.stats.rate:.0f}/s)"
        )


@app.command("report")
def report(
    exercise: Annotated[str, typer.Argument(help="Exercise id (EX-…)")],
    format: Annotated[str, typer.Option("--format", help="pdf or html")] = "pdf",
    out: Annotated[Path | None, typer.Option("--out", help="File to write")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the after-action report and improvement plan of an exercise."""
    from rengo.drills.report import after_action_report

    if format == "pdf" and japanese_font() is None:
        err_console.print("[yellow]warning:[/] no Japanese font found; install fonts-ipaexfont")
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        rendered = after_action_report(
            session, SYSTEM, exercise, format, now=runtime.clock.now(), client="cli"
        )
    target = out or Path(rendered.filename)
    target.write_bytes(rendered.content)
    console.print(f"{target} ({len(rendered.content):,} bytes)")


@app.command("purge")
def purge_command(
    exercise: Annotated[str, typer.Argument(help="Exercise id (EX-…)")],
    data_dir: DataDirOption = None,
) -> None:
    """Remove an exercise and every row and lake event it caused (nothing else)."""
    from rengo.drills.purge import purge

    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        result = purge(session, SYSTEM, runtime.data_dir, exercise, runtime.clock.now())
    console.print(
        f"{result.exercise}: purged {result.events} lake events, {result.alerts} alerts, "
        f"{result.incidents} incidents, {result.rows} rows"
    )
