"""The documentation keeps up with the code: every setting, every command, every domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from rengo.cli import app
from rengo.core.settings import Settings, sections
from rengo.domains import DOMAINS, load_domains

DOCS = Path(__file__).resolve().parent.parent / "docs"
SRC = Path(__file__).resolve().parent.parent / "src" / "rengo"


def _setting_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_setting_names(annotation, f"{prefix}{name}."))
        else:
            names.append(prefix + name)
    return names


def _commands(command: Any, path: str = "rengo") -> list[str]:
    # typer ships its own click: recognise groups by their sub-commands.
    if hasattr(command, "commands"):
        out = []
        for name, sub in command.commands.items():
            out.extend(_commands(sub, f"{path} {name}"))
        return out
    return [path]


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text("utf-8")
    load_domains()
    names = _setting_names(Settings)
    for section_name, model in sections().items():
        names += _setting_names(model, f"{section_name}.")
    missing = [n for n in names if f"`{n}`" not in text]
    assert not missing, f"add to docs/settings.md: {missing}"


def test_every_command_is_documented() -> None:
    text = "\n".join(p.read_text("utf-8") for p in DOCS.glob("*.md"))
    commands = _commands(typer.main.get_command(app))
    missing = [c for c in commands if f"`{c}" not in text]
    assert len(commands) > 10
    assert not missing, f"document in docs/cli.md or the domain's page: {missing}"


def test_every_domain_with_code_has_its_page() -> None:
    for domain in DOMAINS:
        folder = SRC / domain
        substantial = any((folder / f).exists() for f in ("models.py", "service.py", "commands.py"))
        if domain == "core" or substantial:
            assert (DOCS / f"{domain}.md").is_file(), f"docs/{domain}.md is missing"
