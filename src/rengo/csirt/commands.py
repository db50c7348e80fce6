"""``rengo csirt …``: reports from the command line, and the notification/escalation worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from rengo.core.console import DataDirOption, WardOption, console, err_console, open_runtime
from rengo.core.permissions import SYSTEM
from rengo.core.reports import Rendered, japanese_font
from rengo.core.wards import JOINT
from rengo.csirt import reports
from rengo.csirt.soc_adapter import SocAlertSource
from rengo.csirt.worker import tick
from rengo.notify.hooks import registered_hooks

app = typer.Typer(
    help="Joint CSIRT: incident reports, monthly reports, the notification worker.",
    no_args_is_help=True,
)

FormatOption = Annotated[str, typer.Option("--format", help="pdf or html")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="File to write (default: the report's name)")
]


def _write(rendered: Rendered, out: Path | None) -> None:
    target = out or Path(rendered.filename)
    target.write_bytes(rendered.content)
    console.print(f"{target} ({len(rendered.content):,} bytes)")


@app.command("report")
def report(
    incident_id: int,
    format: FormatOption = "pdf",
    out: OutOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the Japanese incident report of INCIDENT_ID as PDF or HTML."""
    if format == "pdf" and japanese_font() is None:
        err_console.print("[yellow]warning:[/] no Japanese font found; install fonts-ipaexfont")
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        rendered = reports.incident_report(
            session, SYSTEM, incident_id, format, now=runtime.clock.now(), client="cli"
        )
    _write(rendered, out)


@app.command("monthly")
def monthly(
    month: Annotated[str, typer.Option(help="YYYY-MM (JST)")],
    ward: WardOption = "joint",
    format: FormatOption = "pdf",
    out: OutOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write the monthly report of a ward (or the joint centre): incidents, alerts, MTTC, majors."""
    try:
        year, number = (int(p) for p in month.split("-"))
    except ValueError:
        raise typer.BadParameter("use YYYY-MM, e.g. 2026-06", param_hint="--month") from None
    tenant = None if ward == JOINT else ward
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        rendered = reports.monthly_report(
            session,
            SYSTEM,
            tenant,
            year,
            number,
            format,
            alert_source=SocAlertSource(runtime.clock),
            settings=runtime.settings,
            now=runtime.clock.now(),
            client="cli",
        )
    _write(rendered, out)


@app.command("worker")
def worker(
    interval: Annotated[float, typer.Option(help="Seconds between rounds")] = 5.0,
    once: Annotated[bool, typer.Option(help="Run one round and stop")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Carry out queued containment actions, escalate unanswered pages, flag long outages,
    run the notifier hooks (FinOps alerts) and send due notifications, every INTERVAL s."""
    hooks = registered_hooks()
    with open_runtime(data_dir) as runtime:
        console.print(f"notifier hooks: {', '.join(hooks) or 'none'}")
        while True:
            r = tick(runtime.db, runtime.settings, runtime.clock, hooks)
            console.print(
                f"actions done {r.actions_succeeded}, retrying {r.actions_retrying}, failed "
                f"{r.actions_failed}; escalated {r.escalated}, became major {r.became_major}, "
                f"hooks {r.hooked}; sent {r.sent}, kept in the built-in outbox {r.kept}, "
                f"retrying {r.retrying}, failed {r.failed}"
            )
            if once:
                return
            time.sleep(interval)
