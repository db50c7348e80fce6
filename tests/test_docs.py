"""The documentation keeps up with the code: every setting, every command and option, every
permission, every target, every domain (built, or marked planned), every page linked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import BaseModel

from rengo.cli import app
from rengo.core.permissions import permissions
from rengo.core.settings import Settings, sections
from rengo.domains import DOMAINS, load_domains
from rengo.targets.registry import targets
from tests.helpers import built_domains

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


def _options(command: Any, path: str = "rengo") -> list[tuple[str, str]]:
    if hasattr(command, "commands"):
        out = []
        for name, sub in command.commands.items():
            out.extend(_options(sub, f"{path} {name}"))
        return out
    return [
        (path, opt)
        for param in command.params
        for opt in param.opts
        if opt.startswith("--") and opt not in ("--data-dir", "--help")
    ]


def _sections() -> list[str]:
    """Every docs page cut at its headings: an option is documented next to its command."""
    return [part for page in DOCS.glob("*.md") for part in re.split(r"\n(?=#)", page.read_text())]


def _index_lines() -> list[str]:
    return (DOCS / "index.md").read_text("utf-8").splitlines()


def test_every_command_option_is_documented_next_to_its_command() -> None:
    sections = _sections()
    options = _options(typer.main.get_command(app))
    assert len(options) > 50
    missing = []
    for path, option in options:
        mentioning = [s for s in sections if re.search(re.escape(path) + r"(?![\w-])", s)]
        if not any(option in s for s in mentioning):
            missing.append(f"{path} {option}")
    assert not missing, f"document each option where its command is described: {missing}"


def test_every_permission_action_is_documented_and_the_page_is_current(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from rengo.core import permissions as registry

    load_domains()
    # tests/core/test_permissions.py defines ``test.*`` actions at import, and pytest-xdist
    # imports every test module in every worker: those are the suite's, not rengo's.
    own = {k: v for k, v in registry._registry.items() if not k.startswith("test.")}
    monkeypatch.setattr(registry, "_registry", own)
    text = "\n".join(p.read_text("utf-8") for p in DOCS.glob("*.md"))
    actions = list(permissions())
    assert len(actions) > 40
    missing = [a for a in actions if f"`{a}`" not in text]
    assert not missing, f"run docs/gen_permissions.py: {missing}"
    spec = importlib.util.spec_from_file_location("gen_permissions", DOCS / "gen_permissions.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (DOCS / "permissions.md").read_text("utf-8")
    assert generator.render() == current, (
        "docs/permissions.md is stale: run docs/gen_permissions.py"
    )


def test_every_target_is_listed_and_a_planned_one_says_so() -> None:
    load_domains()
    built = built_domains()
    rows = {
        line.split("`")[1]: line
        for line in (DOCS / "targets.md").read_text("utf-8").splitlines()
        if line.startswith("| `")
    }
    declared = targets()
    assert len(declared) > 15
    missing = [t.id for t in declared if t.id not in rows]
    assert not missing, f"add to the table of docs/targets.md: {missing}"
    for t in declared:
        planned = "planned" in rows[t.id]
        assert planned == (t.domain not in built), (
            f"{t.id}: 'planned' exactly while {t.domain} is not built"
        )


def test_the_index_links_every_page() -> None:
    text = (DOCS / "index.md").read_text("utf-8")
    pages = sorted(p.name for p in DOCS.glob("*.md") if p.name != "index.md")
    assert len(pages) > 10
    missing = [p for p in pages if f"]({p})" not in text]
    assert not missing, f"link from docs/index.md: {missing}"


def test_every_domain_has_its_page_or_is_marked_planned() -> None:
    """A built domain has docs/<domain>.md (linked from the index); one that is not built yet
    is named in the index as planned, and nowhere presented as built."""
    built = built_domains()
    assert {"core", "notify", "assets", "soc", "csirt", "intel", "finops"} <= built
    lines = _index_lines()
    for domain in DOMAINS:
        page = f"{domain}.md"
        named = [line for line in lines if f"({page})" in line or f"`{domain}`" in line]
        if domain in built:
            assert (DOCS / page).is_file(), f"docs/{page} is missing"
            assert any(f"({page})" in line for line in named), f"link docs/{page} from the index"
            assert not any("planned" in line for line in named), f"{domain} is built: not planned"
        else:
            assert named and all("planned" in line for line in named), (
                f"docs/index.md: say that {domain} is planned"
            )
