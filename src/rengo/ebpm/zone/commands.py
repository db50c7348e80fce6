"""``rengo ebpm deposit | link | release | zone-expire``: the linkage zone from the
server's command line. Each acts as a named account (``--user``): the zone's decisions
are personal, and the audit log names who took them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.console import DataDirOption, WardOption, console, open_runtime
from rengo.core.errors import InvalidInput, Problem
from rengo.core.identity import User
from rengo.core.permissions import SYSTEM, Principal
from rengo.ebpm.zone import analysis, deposits
from rengo.ebpm.zone.deposits import DOMAINS, Zone
from rengo.ebpm.zone.tables import Dimension, TableRequest

UserOption = Annotated[
    str, typer.Option("--user", help="The account acting (its role and ward decide what it may do)")
]


def _principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        raise InvalidInput("no active account of that name", [Problem(username, "option --user")])
    return user.principal()


def deposit(
    file: Annotated[Path, typer.Argument(help="The extract: CSV in UTF-8, Shift_JIS or UTF-16")],
    domain: Annotated[str, typer.Option(help=" | ".join(DOMAINS))],
    purpose: Annotated[str, typer.Option(help="Why the data is deposited")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="The provision that allows it")],
    columns: Annotated[
        Path, typer.Option(help='JSON file: {"column": {"kind": …, "hierarchy": …}}')
    ],
    key: Annotated[str, typer.Option(help="The record key column (kind 'link')")],
    retention: Annotated[str, typer.Option(help="Delete after this day (YYYY-MM-DD)")],
    user: UserOption,
    ward: WardOption,
    department: Annotated[str, typer.Option(help="The depositing department")] = "",
    title: Annotated[str, typer.Option(help="A name for the deposit")] = "",
    data_dir: DataDirOption = None,
) -> None:
    """Deposit a department's extract: checked whole, sealed, awaiting approval."""
    try:
        declared = json.loads(columns.read_text("utf-8"))
        until = date.fromisoformat(retention)
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            str(exc), [Problem("a JSON file and a YYYY-MM-DD day", "options")]
        ) from exc
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        principal = _principal(session, user)
        row = deposits.deposit(
            session,
            Zone.of(runtime),
            principal,
            file.read_bytes(),
            source=file.name,
            ward=ward,
            department=department or "—",
            domain=domain,
            title=title or file.stem,
            legal_basis=legal_basis,
            purpose=purpose,
            retention_until=until,
            columns=declared,
            key_column=key,
            today=runtime.clock.now().date(),
        )
        console.print(f"deposit {row.id}: {row.row_count:,} records sealed, awaiting approval")


def link(
    purpose: Annotated[int, typer.Option(help="The approved purpose")],
    left: Annotated[int, typer.Option(help="First deposit")],
    right: Annotated[int, typer.Option(help="Second deposit")],
    user: UserOption,
    data_dir: DataDirOption = None,
) -> None:
    """Link two approved deposits with Splink under an approved purpose."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        principal = _principal(session, user)
        with console.status("estimating the model and linking…"):
            row = analysis.run(
                session,
                Zone.of(runtime),
                principal,
                purpose_id=purpose,
                left_id=left,
                right_id=right,
            )
        console.print(
            f"linkage {row.id}: {row.links:,} links, {row.review:,} pairs for review "
            f"({row.seconds:.1f} s)"
        )


def release(
    linkage: Annotated[int, typer.Option(help="The linkage whose view to release")],
    title: Annotated[str, typer.Option(help="A name for the release")],
    user: UserOption,
    count_by: Annotated[
        list[str] | None,
        typer.Option(
            "--count-by",
            help="Release a table of counts by this column (COLUMN or COLUMN:LEVEL), repeatable",
        ),
    ] = None,
    epsilon: Annotated[
        float | None,
        typer.Option(help="Differentially private counts with this ε (with --count-by)"),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Request a release: the five standards applied; the report awaits approval."""
    table = None
    if count_by:
        dimensions = []
        for spec in count_by:
            column, _, level = spec.partition(":")
            if level and not level.isdigit():
                raise typer.BadParameter(f"{spec}: the level is a number", param_hint="--count-by")
            dimensions.append(Dimension(column, int(level or 0)))
        table = TableRequest(dimensions, epsilon)
    elif epsilon is not None:
        raise typer.BadParameter("only with --count-by", param_hint="--epsilon")
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        principal = _principal(session, user)
        row = analysis.request_release(
            session, Zone.of(runtime), principal, linkage, title=title, table=table
        )
        report = row.report
        console.print(f"release {row.id}: {row.rows:,} rows, awaiting the privacy officer")
        for step in report["steps"]:
            console.print(
                f"  第34条第{step['standard']}号 {step['title_ja']}: "
                f"{', '.join(step['columns']) or '—'} ({step['cells_changed']:,} cells, "
                f"{step['rows_suppressed']:,} rows suppressed)"
            )
        console.print(
            f"  k = {report['k_achieved']}, l = {report['l_achieved']}, "
            f"max re-identification risk {report['max_risk']:.3f}"
        )
        for cell in report.get("table", {}).get("suppressed", []):
            where = ", ".join(f"{k}={v}" for k, v in cell["cell"].items())
            console.print(f"  suppressed ({cell['reason']}): {where}")


def expire(data_dir: DataDirOption = None) -> None:
    """Delete every deposit whose retention has ended (run daily)."""
    with open_runtime(data_dir) as runtime, runtime.db.session() as session:
        removed = deposits.expire(session, Zone.of(runtime), SYSTEM, runtime.clock.now().date())
        console.print(f"{len(removed)} deposit(s) deleted: {removed}")


def register(app: typer.Typer) -> None:
    """Mount the zone's commands on ``rengo ebpm``."""
    app.command("deposit")(deposit)
    app.command("link")(link)
    app.command("release")(release)
    app.command("zone-expire")(expire)
