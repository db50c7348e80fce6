"""``rengo soc detect`` and ``rengo soc rules …``: run, hunt, check and convert Sigma rules."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from rengo.core.console import DataDirOption, console, err_console, open_runtime
from rengo.core.settings import load_settings
from rengo.core.types import TenantCode
from rengo.soc.detect.settings import DetectSettings

if TYPE_CHECKING:  # imported where used: ``--evtx`` starts without the database layer
    from rengo.core.runtime import Runtime
    from rengo.soc.detect.detector import Detection
    from rengo.soc.detect.rules import RuleSet

STANDALONE = ("detect", "rules")
"""Commands that need no other domain loaded (``rengo.cli`` skips ``load_domains``)."""

rules_app = typer.Typer(help="Sigma rules: check and convert.", no_args_is_help=True)

RulesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules", help="A folder (or file) of Sigma rules; repeat for several", exists=True
    ),
]
FormatOption = Annotated[
    Literal["table", "json"], typer.Option("--format", help="json: JSON lines")
]


def _time(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _print(detections: list[Detection], output: str) -> None:
    if output == "json":
        import orjson

        sys.stdout.buffer.write(b"".join(orjson.dumps(d.to_json()) + b"\n" for d in detections))
        sys.stdout.flush()
        return
    from rich.table import Table

    table = Table(title=f"{len(detections)} detections")
    for name in ("time (UTC)", "ward", "level", "rule", "events"):
        table.add_column(name)
    for d in detections[:500]:
        table.add_row(
            d.last_time.strftime("%Y-%m-%d %H:%M:%S"),
            d.ward,
            d.level,
            d.title,
            str(len(d.event_ids)),
        )
    console.print(table)


def detect_command(
    rules: RulesOption = None,
    since: Annotated[str | None, typer.Option(help="From (ISO 8601; default: 24 h ago)")] = None,
    until: Annotated[str | None, typer.Option(help="Until (ISO 8601; default: now)")] = None,
    ward: Annotated[list[str] | None, typer.Option(help="Only these wards (codes)")] = None,
    evtx: Annotated[
        list[Path] | None,
        typer.Option(help="Read EVTX files/folders instead of the lake", exists=True),
    ] = None,
    builtin: Annotated[bool, typer.Option(help="Include rengo's municipal rule pack")] = True,
    alerts: Annotated[
        bool, typer.Option(help="Also put the detections into the alert queue")
    ] = False,
    follow: Annotated[
        bool, typer.Option(help="Run incrementally on new events until Ctrl-C")
    ] = False,
    output: FormatOption = "table",
    data_dir: DataDirOption = None,
) -> None:
    """Run Sigma rules over the lake (a time range, or incrementally) or over EVTX files."""
    if evtx:
        _print(_detect_evtx(evtx, rules or [], builtin, (ward or ["131016"])[0], data_dir), output)
        return
    from rengo.soc.detect.runner import (
        cache_dir,
        hunt,
        load_configured_rules,
        load_segments,
        open_lake,
    )

    with open_runtime(data_dir) as runtime:
        ruleset = load_configured_rules(runtime, rules or [], builtin=builtin)
        _problems(ruleset)
        if follow:
            _follow(runtime, ruleset)
            return
        now = runtime.clock.now()
        start, end = _time(since, now - timedelta(days=1)), _time(until, now)
        detections = list(
            hunt(
                open_lake(runtime),
                ruleset,
                start,
                end,
                wards=ward or None,
                batch_rows=runtime.settings.section(DetectSettings).batch_rows,
                workers=runtime.settings.section(DetectSettings).workers,
                cache_dir=cache_dir(runtime),
                segments=load_segments(runtime),
            )
        )
        if alerts and detections:
            from rengo.soc.alerts_ingest import ingest

            with runtime.db.session() as session:
                result = ingest(session, detections, runtime.settings.section(DetectSettings), now)
            err_console.print(
                f"{len(result.new_alerts)} new alerts, {len(result.campaigns)} campaigns"
            )
        _print(detections, output)


def _follow(runtime: Runtime, ruleset: RuleSet) -> None:
    """Incremental detection until Ctrl-C, holding the data directory's follower lock
    (a ``rengo serve`` with ``detect.follow_with_serve`` takes over when this stops)."""
    import threading

    from rengo.soc.detect.follow import follower_lock
    from rengo.soc.detect.runner import IncrementalDetector, open_lake

    stop = threading.Event()
    err_console.print("waiting for the follower lock (another process may follow the lake)…")
    try:
        with follower_lock(runtime, stop):
            runner = IncrementalDetector(runtime, ruleset, open_lake(runtime))
            err_console.print(f"following the lake from cursor {runner.cursor} (Ctrl-C stops)")
            try:
                for report in runner.follow(stop):
                    if report.events:
                        err_console.print(
                            f"{report.events} events, {report.detections} detections, "
                            f"{report.new_alerts} new alerts in {report.seconds:.2f} s"
                        )
            finally:
                runner.close()
    except KeyboardInterrupt:
        return


def _problems(ruleset: RuleSet) -> None:
    for problem in ruleset.problems:
        err_console.print(f"[yellow]{problem}[/]")


def _detect_evtx(
    paths: list[Path], folders: list[Path], builtin: bool, ward: TenantCode, data_dir: Path | None
) -> list[Detection]:
    """EVTX files, offline (no state database, no lake): placeholders from the settings only,
    every core parsing and evaluating its share of the files."""
    from rengo.core.storage import DataDir
    from rengo.soc.detect.detector import Detector
    from rengo.soc.detect.evtx_input import evtx_files, evtx_parts
    from rengo.soc.detect.rules import load_rules

    settings = load_settings(data_dir=data_dir)
    detect = settings.section(DetectSettings)
    cache = DataDir(settings.data_dir).files("soc") / "detect-cache"
    ruleset = load_rules(
        [*detect.rule_folders, *folders],
        placeholders=detect.placeholders,
        cache_dir=cache,
        include_builtin=detect.builtin_rules and builtin,
    )
    _problems(ruleset)
    files = [f for p in paths for f in evtx_files(p)]
    detector = Detector(ruleset, workers=detect.workers, cache_dir=cache)
    try:
        detections = detector.run_parts(evtx_parts(files, detect.workers, ward))
        return detections + detector.flush()
    finally:
        detector.close()


def _report(ruleset: RuleSet, output: str) -> int:
    if output == "json":
        print(
            json.dumps(
                {
                    "rules": len(ruleset.rules),
                    "problems": [
                        {"location": p.location, "message": p.message} for p in ruleset.problems
                    ],
                    "unsupported": [
                        {
                            "location": p.location,
                            "rule_id": p.rule_id,
                            "title": p.title,
                            "reason": p.message,
                        }
                        for p in ruleset.unsupported
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        for p in ruleset.problems:
            console.print(f"[red]error[/] {p.location}: {p.message}")
        for p in ruleset.unsupported:
            console.print(
                f"[yellow]not converted[/] {p.location}: {p.title or p.rule_id}: {p.message}"
            )
        console.print(
            f"{len(ruleset.rules)} rules ready, {len(ruleset.unsupported)} not convertible, "
            f"{len(ruleset.problems)} errors"
        )
    return 1 if ruleset.problems else 0


@rules_app.command("check")
def rules_check(
    folders: Annotated[
        list[Path], typer.Argument(help="Folders or files of Sigma rules", exists=True)
    ],
    output: FormatOption = "table",
    data_dir: DataDirOption = None,
) -> None:
    """Validate rules: errors name file:line; rules that cannot run say why. Exit 1 on errors."""
    from rengo.soc.detect.rules import load_rules

    placeholders = load_settings(data_dir=data_dir).section(DetectSettings).placeholders
    raise typer.Exit(_report(load_rules(folders, placeholders=placeholders), output))


@rules_app.command("convert")
def rules_convert(
    folders: Annotated[
        list[Path], typer.Argument(help="Folders or files of Sigma rules", exists=True)
    ],
    data_dir: DataDirOption = None,
) -> None:
    """Print each rule as a DuckDB hunting query over a table ``events`` in the lake's schema."""
    from rengo.soc.detect.ir import hunting_sql
    from rengo.soc.detect.rules import load_rules

    placeholders = load_settings(data_dir=data_dir).section(DetectSettings).placeholders
    ruleset = load_rules(folders, placeholders=placeholders)
    for rule in ruleset.rules:
        if rule.condition is None:
            continue
        print(f"-- {rule.title} ({rule.id}) {rule.path}")
        print(hunting_sql(rule.condition) + ";\n")
    raise typer.Exit(_report(ruleset, "table") if ruleset.problems else 0)
