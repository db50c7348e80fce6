"""Reading scenarios: YAML with line marks, the schema, then what the schema cannot see.

Every problem names ``file:line`` and the field (``injects[2].telemetry.template``):
YAML syntax, schema violations (a typo in a key is an unknown field), an unknown ward, an
unknown telemetry template, an expectation naming no installed Sigma rule, an ``after``
naming no inject, and a time loop (injects that follow each other in a circle). A rule
that exists but is switched off for every ward is a warning: the expected detection
cannot fire, and the planner should know before the exercise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from rengo.core.errors import InvalidInput, Problem
from rengo.core.wards import ward_codes
from rengo.drills.scenario import ExpectationKind, Scenario
from rengo.drills.telemetry import templates


@dataclass(frozen=True)
class RuleCatalog:
    """The installed Sigma rules by id and by title (case-insensitive), and those off."""

    by_id: dict[str, str]
    """id -> title"""
    disabled: frozenset[str] = frozenset()
    """Rule ids switched off for every ward (``joint`` rule settings)."""

    def resolve(self, reference: str) -> str | None:
        """The rule id a scenario's ``rule`` (an id or a title) names, or ``None``."""
        if reference in self.by_id:
            return reference
        wanted = reference.strip().lower()
        return next((i for i, t in self.by_id.items() if t.lower() == wanted), None)


@dataclass
class Loaded:
    path: str
    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not self.problems


def library_dir() -> Path:
    """The scenarios shipped with rengo."""
    return Path(str(resources.files("rengo.drills").joinpath("library")))


def library_paths() -> list[Path]:
    return sorted(library_dir().glob("*.yaml"))


def _line_of(node: Any, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest node of ``loc`` found in the YAML tree."""
    line = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(node, CommentedMap | CommentedSeq):
        line = node.lc.line + 1
    return line


def _field(loc: Sequence[int | str]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "document"


class _Locator:
    def __init__(self, name: str, tree: Any) -> None:
        self.name, self.tree = name, tree

    def problem(self, message: str, loc: Sequence[int | str]) -> Problem:
        line = _line_of(self.tree, loc)
        where = f"{self.name}:{line}" if line else self.name
        return Problem(f"{_field(loc)}: {message}", where)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def parse(text: str, name: str, rules: RuleCatalog | None = None) -> Loaded:
    """Parse and check one scenario document (``name`` is shown in locations)."""
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        return Loaded(name, None, [Problem(f"YAML: {exc.problem}", where)])
    locate = _Locator(name, tree)
    if not isinstance(tree, dict):
        return Loaded(name, None, [Problem("a scenario is a YAML mapping", f"{name}:1")])
    data = _plain(tree)
    loaded = Loaded(name, None)
    try:
        loaded.scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        loaded.problems += [locate.problem(e["msg"], e["loc"]) for e in exc.errors()]
    _check(data, locate, loaded, rules)
    loaded.problems.sort(key=_line_key)
    return loaded


def _line_key(problem: Problem) -> int:
    line = problem.location.rsplit(":", 1)[-1]
    return int(line) if line.isdigit() else 0


def load(path: Path, rules: RuleCatalog | None = None) -> Loaded:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(str(path), None, [Problem(f"cannot read: {exc}", str(path))])
    return parse(text, str(path), rules)


def _list(data: Any, key: str) -> list[dict[str, Any]]:
    value = data.get(key) if isinstance(data, dict) else None
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _check(data: dict[str, Any], at: _Locator, out: Loaded, rules: RuleCatalog | None) -> None:
    """What the schema cannot see; works on the raw document, so that it also reports
    when the schema found errors (every error at once)."""
    wards = data.get("wards")
    codes = wards.get("codes") if isinstance(wards, dict) else None
    codes = codes if isinstance(codes, list) else []
    known_wards = ward_codes()
    for n, code in enumerate(codes):
        if str(code) not in known_wards:
            out.problems.append(at.problem(f"unknown ward {code!r}", ["wards", "codes", n]))
    injects = _list(data, "injects")
    ids: dict[str, int] = {}
    for n, inject in enumerate(injects):
        inject_id = str(inject.get("id", ""))
        if inject_id in ids:
            out.problems.append(at.problem(f"inject id {inject_id!r} twice", ["injects", n, "id"]))
        ids[inject_id] = n
        if not any(inject.get(k) for k in ("telemetry", "message", "decision")):
            out.problems.append(
                at.problem("an inject sends telemetry, a message or a decision", ["injects", n])
            )
        telemetry = inject.get("telemetry")
        name = telemetry.get("template") if isinstance(telemetry, dict) else None
        if name is not None and name not in templates():
            out.problems.append(
                at.problem(
                    f"unknown telemetry template {name!r} (one of {', '.join(templates())})",
                    ["injects", n, "telemetry", "template"],
                )
            )
    for n, inject in enumerate(injects):
        after = inject.get("after")
        if after is not None and str(after) not in ids:
            out.problems.append(
                at.problem(f"no inject {after!r} to follow", ["injects", n, "after"])
            )
    out.problems += _loops(injects, ids, at)
    seen: set[str] = set()
    for n, expectation in enumerate(_list(data, "expectations")):
        loc: list[int | str] = ["expectations", n]
        expectation_id = str(expectation.get("id", ""))
        if expectation_id in seen:
            out.problems.append(
                at.problem(f"expectation id {expectation_id!r} twice", [*loc, "id"])
            )
        seen.add(expectation_id)
        kind, rule = expectation.get("kind"), expectation.get("rule")
        if kind in (ExpectationKind.DETECTION, ExpectationKind.CAMPAIGN):
            if not rule:
                out.problems.append(at.problem("name the Sigma rule (id or title)", loc))
            elif rules is not None:
                _check_rule(str(rule), rules, at, out, [*loc, "rule"])
        if kind == ExpectationKind.DECISION:
            target = expectation.get("inject")
            if str(target) not in ids:
                out.problems.append(
                    at.problem("name the inject whose decision is expected", [*loc, "inject"])
                )
            elif not injects[ids[str(target)]].get("decision"):
                out.problems.append(at.problem("that inject asks no decision", [*loc, "inject"]))
        if kind == ExpectationKind.NOTIFICATION and not expectation.get("notify"):
            out.problems.append(
                at.problem("name who must be told (mayor, mic, police, ppc)", [*loc, "notify"])
            )


def _check_rule(
    rule: str, rules: RuleCatalog, at: _Locator, out: Loaded, loc: list[int | str]
) -> None:
    rule_id = rules.resolve(rule)
    if rule_id is None:
        out.problems.append(
            at.problem(f"no installed Sigma rule has the id or title {rule!r}", loc)
        )
    elif rule_id in rules.disabled:
        out.warnings.append(
            at.problem(
                f"rule {rule!r} is switched off for every ward: this detection cannot fire", loc
            )
        )


def _loops(injects: list[dict[str, Any]], ids: dict[str, int], at: _Locator) -> list[Problem]:
    """Injects whose ``after`` chain comes back to themselves (each loop reported once)."""
    after = {str(i.get("id")): str(i.get("after")) for i in injects if str(i.get("after")) in ids}
    reported: set[str] = set()
    problems = []
    for start in after:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in path and node not in reported:
            path.append(node)
            node = after.get(node)
        if node is not None and node in path:
            loop = path[path.index(node) :]
            reported.update(loop)
            problems.append(
                at.problem(
                    "time loop: " + " → ".join([*loop, node]) + " follow each other in a circle",
                    ["injects", ids[loop[0]], "after"],
                )
            )
    return problems


def require(loaded: Loaded) -> Scenario:
    """The scenario, or ``InvalidInput`` with every problem."""
    if loaded.scenario is None or loaded.problems:
        raise InvalidInput("the scenario has errors", loaded.problems)
    return loaded.scenario


def load_all(paths: Iterable[Path], rules: RuleCatalog | None = None) -> list[Loaded]:
    return [load(p, rules) for p in paths]


def library(rules: RuleCatalog | None = None) -> dict[str, Loaded]:
    """The shipped scenarios by id (those that load)."""
    out = {}
    for loaded in load_all(library_paths(), rules):
        if loaded.scenario is not None:
            out[loaded.scenario.id] = loaded
    return out
