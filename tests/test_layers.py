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


# Cycles tolerated for now (none: soc.lake <-> soc.maintenance ended with the lake's split).
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_graph() -> dict[str, set[str]]:
    """Module -> the rengo modules it imports (anywhere in the file, lazy imports too)."""
    modules: dict[str, Path] = {}
    for path in SRC.rglob("*.py"):
        parts = ["rengo", *path.relative_to(SRC).with_suffix("").parts]
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module and not module.startswith(name + "."):
                    graph[module].add(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_cycle_inside_a_package() -> None:
    cycles = [c for c in _cycles(_module_graph()) if c not in KNOWN_CYCLES]
    assert not cycles, "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]
