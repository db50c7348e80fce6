"""``rengo soc …`` (mounted by the CLI root). Detection's commands come from ``soc.detect``."""

from __future__ import annotations

import typer

from rengo.soc.detect.commands import detect_command, rules_app

app = typer.Typer(help="The joint SOC: detection, rules and the alert queue.", no_args_is_help=True)
app.command("detect")(detect_command)
app.add_typer(rules_app, name="rules")
