"""What every CLI command shares: the --data-dir option, the runtime, progress bars.

Domain ``commands`` modules use these so that every ``rengo`` command behaves alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

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

from rengo.core.runtime import Runtime
from rengo.core.settings import load_settings

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


@contextmanager
def open_runtime(data_dir: Path | None) -> Iterator[Runtime]:
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
