"""Dependencies flow one way (docs/architecture.md): checked on every import statement."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "rengo"
TOP = {"web", "cli", "migrations", "domains", "__main__"}
# What each domain may import besides itself (core is allowed everywhere).
# Messaging (notify) stands on core alone and every domain may use it.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "notify": set(),
    "assets": {"targets", "notify"},  # every domain declares its targets into the registry
    "targets": {"notify"},
    "soc": {"assets", "targets", "notify"},
    "finops": {"assets", "targets", "notify"},
    "opendata": {"assets", "targets", "notify"},
    "ebpm": {"assets", "targets", "notify"},
    "drills": {"assets", "targets", "notify", "soc", "csirt", "intel"},
    "csirt": {"assets", "targets", "notify", "soc"},
    "intel": {"assets", "targets", "notify", "soc", "csirt"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "rengo" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_domains_import_only_what_stands_below_them() -> None:
    violations = []
    for path in SRC.rglob("*.py"):
        package = path.relative_to(SRC).parts[0].removesuffix(".py")
        if package in TOP or package == "__init__":
            continue
        allowed = ALLOWED.get(package)
        assert allowed is not None, f"{path}: new top-level package {package!r}: add it to ALLOWED"
        for target in _imports(path) - {package, "core"}:
            if target in TOP or target not in allowed:
                violations.append(f"{path.relative_to(SRC)} imports rengo.{target}")
    assert not violations, "\n".join(sorted(violations))


def test_core_imports_no_domain() -> None:
    for path in (SRC / "core").rglob("*.py"):
        assert _imports(path) <= {"core"}, path
