"""What every CLI command shares: the --data-dir option, the runtime, progress bars.

Domain ``commands`` modules use these so that every ``rengo`` command behaves alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rengo.core.settings import load_settings
from rengo.core.wards import MunicipalCodeError, parse_tenant

if TYPE_CHECKING:  # the database layer is imported by the commands that open it
    from rengo.core.runtime import Runtime

console = Console()
err_console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="RENGO_DATA_DIR",
        help="Data directory (state database, lakes, files). Default: ./rengo-data",
        show_default=False,
    ),
]


def _tenant(value: str) -> str:
    try:
        return parse_tenant(value)
    except MunicipalCodeError as error:
        raise typer.BadParameter(str(error)) from None


WardOption = Annotated[
    str,
    typer.Option(
        "--ward",
        help="Ward code (e.g. 131016), ward name (Chiyoda, 千代田区) or 'joint'",
        callback=_tenant,
    ),
]
"""A ward or the joint centre, checked (code and check digit) and normalised to its code."""


_schema_makers: list[Callable[[Path | None], None]] = []


def make_schema_with(make: Callable[[Path | None], None]) -> None:
    """Register what creates or upgrades a data directory's database (``rengo.cli`` gives
    the migrations: core cannot import them, they load every domain)."""
    _schema_makers.append(make)


@contextmanager
def open_runtime(data_dir: Path | None, *, create: bool = False) -> Iterator[Runtime]:
    """The runtime of a data directory; ``create``: its database is made (or brought up
    to date) first, for commands a new user runs before anything else."""
    from rengo.core.runtime import Runtime

    if create:
        for make in _schema_makers:
            make(data_dir)
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    try:
        yield runtime
    finally:
        runtime.close()


def progress(transient: bool = False) -> Progress:
    """A progress bar on stderr (stdout stays clean for JSON output)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )
