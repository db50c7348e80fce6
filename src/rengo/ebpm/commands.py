"""``rengo ebpm …``: import the HR system's training records and roster, remind staff of the
required course, store live-metric snapshots, import resident survey results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rengo.core.console import DataDirOption, console, open_runtime
from rengo.core.permissions import SYSTEM
from rengo.ebpm import reminders, roster, snapshots, surveys, training
from rengo.ebpm.zone import commands as zone_commands

app = typer.Typer(
    help="EBPM: logic models, evaluation, resident surveys, data-literacy training.",
    no_args_is_help=True,
)
training_app = typer.Typer(help="Data-literacy training records.", no_args_is_help=True)
survey_app = typer.Typer(help="Resident survey results (住民意識調査).", no_args_is_help=True)
app.add_typer(training_app, name="training")
app.add_typer(survey_app, name="survey")
zone_commands.register(app)  # deposit, link, release, zone-expire (docs/ebpm-zone.md)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
WardOption = Annotated[
    str | None, typer.Option("--ward", help="Only this ward (code); default every ward.")
]


@training_app.command("import")
def training_import(file: FileArgument, data_dir: DataDirOption = None) -> None:
    """Import completions from the HR system's CSV (UTF-8 or cp932; all rows or none):
    職員番号, 区, 所属, 研修コード, 修了日."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        result = training.import_completions(session, SYSTEM, file.read_bytes(), filename=file.name)
    console.print(f"{result.created:,} completions added, {result.updated:,} updated")


@training_app.command("staff")
def training_staff(file: FileArgument, data_dir: DataDirOption = None) -> None:
    """Import staff counts per ward and department (区, 所属, 職員数, 基準日): the denominator
    of the completion rate."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        count = training.import_staff_counts(session, SYSTEM, file.read_bytes(), filename=file.name)
    console.print(f"staff counts of {count:,} departments stored")


@training_app.command("roster")
def training_roster(file: FileArgument, data_dir: DataDirOption = None) -> None:
    """Import the staff roster (職員番号, 区, 所属, 氏名, メール): whom reminders reach."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        result = roster.import_roster(
            session, SYSTEM, file.read_bytes(), runtime.clock, filename=file.name
        )
    console.print(f"{result.created:,} staff added, {result.updated:,} updated")


@training_app.command("remind")
def training_remind(ward: WardOption = None, data_dir: DataDirOption = None) -> None:
    """Remind staff who have not completed the required course now (e-mail through the
    delivery log; nobody twice within ebpm.reminder_interval_days)."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        run = reminders.remind_now(session, SYSTEM, runtime.settings, runtime.clock.now(), ward)
    console.print(
        f"{run.sent:,} reminders queued; {run.recently_reminded:,} reminded recently; "
        f"{run.without_email:,} without an e-mail address"
    )


@app.command("snapshot")
def snapshot(data_dir: DataDirOption = None) -> None:
    """Store the current period's actual of every live-metric indicator now."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        taken = snapshots.take_all(session, runtime.settings, runtime.data_dir, runtime.clock.now())
    console.print(f"{len(taken):,} actuals stored")


@survey_app.command("import")
def survey_import(file: FileArgument, data_dir: DataDirOption = None) -> None:
    """Import resident survey results (CSV or Excel; all rows or none): 年度, 区, 設問,
    回答, 割合, 回答者数, 肯定的."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        result = surveys.import_surveys(
            session, SYSTEM, file.read_bytes(), runtime.settings, filename=file.name
        )
    console.print(
        f"{result.questions:,} questions ({result.rows:,} rows) stored; "
        f"{result.indicators_updated:,} indicators updated"
    )
