"""``rengo ebpm …``: evidence-based policy from the command line."""

from __future__ import annotations

import typer

from rengo.ebpm.zone import commands as zone_commands

app = typer.Typer(help="EBPM: logic models, training, the data-linkage zone.", no_args_is_help=True)
zone_commands.register(app)
