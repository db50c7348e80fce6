"""Loading, validating and compiling folders of Sigma rules.

Every ``*.yml``/``*.yaml`` file under each folder is parsed with pySigma, run through the
pipelines and converted by the DuckDB backend into a ``CompiledRule``. Nothing is
dropped silently: a file that does not parse is a ``RuleProblem`` naming ``file:line``;
a rule that parses but cannot run on the lake is listed in ``RuleSet.unsupported`` with
the reason. Compiled rules are cached per file content, so a second run skips pySigma.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml

from rengo.core.storage import write_atomically
from rengo.soc.detect.analysis import (
    literal_options,
    order_for_evaluation,
    routing_tree,
    simplify_routing,
)
from rengo.soc.detect.ir import to_sql

CACHE_VERSION = "14"

BUILTIN_PACK = "rengo"
MAX_CACHED_FILES = 50_000
_ATTACK_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A rule file (or one rule in it) that could not be used, and where."""

    path: str
    line: int | None
    message: str
    rule_id: str = ""
    title: str = ""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class Correlation:
    type: str
    """event_count | value_count | temporal | temporal_ordered"""
    rules: tuple[str, ...]
    """Referenced rules, by id or name (resolved to ids by ``RuleSet``)."""
    group_by: tuple[str, ...]
    timespan_seconds: int
    op: str
    """gt | gte | lt | lte | eq | neq"""
    count: int
    field: str | None
    aliases: dict[str, dict[str, str]]
    """alias → {rule id or name → field of that rule}"""
    generate: bool
    expression: list[Any] | None = None
    """Extended temporal condition over the referenced rules, as a tree:
    ["and"|"or", [...]], ["not", x], ["rule", id or name]."""


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    name: str
    title: str
    level: str
    status: str
    description: str
    tags: tuple[str, ...]
    path: str
    pack: str
    condition: list[Any] | None
    """The detection as rengo's IR (``rengo.soc.detect.ir``); ``None`` for correlations."""
    fields: tuple[str, ...]
    literals: tuple[tuple[str, ...], ...] | None
    """Necessary literal sets (see ``analysis.literal_options``); ``None`` = no prefilter."""
    routing: list[Any]
    correlation: Correlation | None = None
    false_positives: tuple[str, ...] = ()
    references_by: tuple[str, ...] = field(default=())
    """Correlation rules that use this rule (filled when the set is assembled)."""

    @property
    def techniques(self) -> tuple[str, ...]:
        found = (_ATTACK_TAG.match(t) for t in self.tags)
        return tuple(sorted({m.group(1).upper() for m in found if m}))

    @property
    def sql(self) -> str | None:
        """The detection as a DuckDB expression over the flat relation."""
        return to_sql(self.condition) if self.condition is not None else None

    @property
    def is_correlation(self) -> bool:
        return self.correlation is not None

    @property
    def emits_alerts(self) -> bool:
        """Base rules used only by correlations stay silent unless a correlation says generate."""
        return self.is_correlation or not self.references_by


@dataclass
class RuleSet:
    rules: list[CompiledRule] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)
    unsupported: list[RuleProblem] = field(default_factory=list)

    def by_id(self) -> dict[str, CompiledRule]:
        return {r.id: r for r in self.rules}

    @property
    def detections(self) -> list[CompiledRule]:
        return [r for r in self.rules if not r.is_correlation]

    @property
    def correlations(self) -> list[CompiledRule]:
        return [r for r in self.rules if r.is_correlation]


def builtin_rules_dir() -> Path:
    """rengo's municipal rule pack, shipped with the package."""
    return Path(str(resources.files("rengo.soc.detect").joinpath("rules")))


def rule_files(folders: Iterable[Path]) -> Iterator[tuple[Path, str, os.stat_result]]:
    """(folder, rule file, its stat) for every ``*.yml``/``*.yaml`` under ``folders``, sorted."""
    for folder in folders:
        if folder.is_file():
            yield folder.parent, str(folder), folder.stat()
            continue
        found: list[tuple[str, os.stat_result]] = []
        # os.scandir, not Path.rglob: a SigmaHQ release has thousands of files.
        pending = [str(folder)]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.is_dir():
                        pending.append(entry.path)
                    elif entry.name.endswith((".yml", ".yaml")) and entry.is_file():
                        found.append((entry.path, entry.stat()))
        for path, stat in sorted(found):
            yield folder, path, stat


# -- compiling ------------------------------------------------------------------------


class _Compiler:
    """pySigma, imported only when a file is not in the cache (it costs a second to import)."""

    def __init__(self, placeholders: dict[str, list[str]]) -> None:
        from sigma.modifiers import SigmaWideModifier, modifier_mapping

        from rengo.soc.detect.backend import DuckDBBackend
        from rengo.soc.detect.pipelines import build_pipeline

        # The Sigma specification names UTF-16LE encoding both ``wide`` and ``utf16le``;
        # pySigma knows only the first.
        modifier_mapping.setdefault("utf16le", SigmaWideModifier)
        self.placeholders = placeholders
        self.backend = DuckDBBackend(processing_pipeline=build_pipeline(placeholders))
        self.backend.init_processing_pipeline()

    def compile_file(self, path: Path, pack: str, text: str) -> dict[str, Any]:
        """{"rules": [...], "problems": [...], "unsupported": [...]} as JSON-able dicts."""
        from sigma.collection import SigmaCollection
        from sigma.exceptions import SigmaError, SigmaRuleLocation

        out: dict[str, list[Any]] = {"rules": [], "problems": [], "unsupported": []}
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            out["problems"].append(asdict(RuleProblem(str(path), line, f"YAML: {error}")))
            return out
        if not all(isinstance(d, dict) or d is None for d in documents):
            out["problems"].append(
                asdict(RuleProblem(str(path), 1, "not a Sigma rule (no mapping)"))
            )
            return out
        try:
            collection = SigmaCollection.from_dicts(
                documents,
                collect_errors=True,
                source=SigmaRuleLocation(path),
                resolve_references=False,
            )
        except SigmaError as error:  # some checks raise even when asked to collect errors
            out["problems"].append(asdict(_problem(path, text, error)))
            return out
        except Exception as error:  # pySigma failing on odd input: still bad input, not a crash
            message = f"pySigma cannot read this file ({type(error).__name__}: {error})"
            out["problems"].append(asdict(RuleProblem(str(path), 1, message)))
            return out
        for found in collection.errors:
            out["problems"].append(asdict(_problem(path, text, found)))
        for rule in collection.rules:
            if rule.errors:
                continue
            try:
                compiled = self._compile(rule, path, pack)
            except SigmaError as error:
                problem = _problem(path, text, error, rule)
                out["unsupported"].append(asdict(problem))
                continue
            if isinstance(compiled, RuleProblem):
                out["unsupported"].append(asdict(compiled))
            else:
                out["rules"].append(_to_json(compiled))
        return out

    def _compile(self, rule: Any, path: Path, pack: str) -> CompiledRule | RuleProblem:
        from sigma.correlations import SigmaCorrelationRule

        from rengo.soc.detect.pipelines import unsupported_reason

        base = _metadata(rule, path, pack)
        if isinstance(rule, SigmaCorrelationRule):
            reason = _correlation_unsupported(rule)
            if reason is not None:
                return RuleProblem(str(path), None, reason, base["id"], base["title"])
            return CompiledRule(
                **base,
                condition=None,
                fields=(),
                literals=None,
                routing=["?"],
                correlation=_correlation(rule),
            )
        queries = self.backend.convert_rule(rule, "ir")
        applied = set(self.backend.last_processing_pipeline.applied_ids)
        reason = unsupported_reason(rule, applied)
        if reason is not None:
            return RuleProblem(
                str(path),
                _line_of(path.read_text("utf-8"), "logsource:"),
                reason,
                base["id"],
                base["title"],
            )
        condition = order_for_evaluation(queries[0] if len(queries) == 1 else ["or", queries])
        literals = literal_options(condition)
        routing = simplify_routing(routing_tree(condition))
        return CompiledRule(
            **base,
            condition=condition,
            fields=tuple(sorted(self.backend.fields_used)),
            literals=tuple(literals) if literals else None,
            routing=routing,
        )


def _metadata(rule: Any, path: Path, pack: str) -> dict[str, Any]:
    rule_id = (
        str(rule.id) if rule.id else "path-" + hashlib.sha256(str(path).encode()).hexdigest()[:16]
    )
    level = rule.level.name.lower() if rule.level else "medium"
    return {
        "id": rule_id,
        "name": rule.name or "",
        "title": rule.title or path.stem,
        "level": level,
        "status": rule.status.name.lower() if rule.status else "",
        "description": (rule.description or "").strip(),
        "tags": tuple(str(t) for t in rule.tags),
        "path": str(path),
        "pack": pack,
        "false_positives": tuple(str(f) for f in (rule.falsepositives or [])),
    }


SUPPORTED_CORRELATIONS = ("event_count", "value_count", "temporal", "temporal_ordered")


def _correlation_unsupported(rule: Any) -> str | None:
    kind = rule.type.name.lower()
    if kind not in SUPPORTED_CORRELATIONS:
        return f"correlation type {kind} is not supported ({', '.join(SUPPORTED_CORRELATIONS)} are)"
    if not hasattr(rule.condition, "op") and kind != "temporal":
        return (
            f"an extended (boolean) condition on a {kind} correlation has no defined "
            "meaning here (rengo runs them on temporal correlations)"
        )
    return None


def _expression(node: Any) -> list[Any]:
    """pySigma's parsed extended condition as a JSON-able tree."""
    args = getattr(node, "args", None)
    if args is None:
        return ["rule", node.reference]
    op = type(node).__name__.removeprefix("CorrelationCondition").lower()
    if op == "not":
        return ["not", _expression(args[0])]
    return [op, [_expression(a) for a in args]]


def _correlation(rule: Any) -> Correlation:
    condition = rule.condition
    parsed = getattr(condition, "parsed", None)
    op = getattr(condition, "op", None)
    fieldref = getattr(condition, "fieldref", None)
    if isinstance(fieldref, list):
        fieldref = fieldref[0] if fieldref else None
    aliases = {
        name: {ref.reference: value for ref, value in alias.mapping.items()}
        for name, alias in rule.aliases.aliases.items()
    }
    return Correlation(
        type=rule.type.name.lower(),
        rules=tuple(ref.reference for ref in rule.rules or []),
        group_by=tuple(rule.group_by or ()),
        timespan_seconds=int(rule.timespan.seconds),
        op=op.name.lower() if op is not None else "gte",
        count=int(getattr(condition, "count", 1) or 1),
        field=fieldref,
        aliases=aliases,
        generate=bool(rule.generate),
        expression=_expression(parsed) if parsed is not None else None,
    )


def _problem(path: Path, text: str, error: Exception, rule: Any = None) -> RuleProblem:
    source = getattr(error, "source", None)
    line = getattr(source, "line", None)
    message = str(error).split(" in rule ")[0].replace(f" in {path}", "")
    missing = re.search(r"Placeholder replacement variable '([^']+)' doesn't exists", message)
    if missing:
        message = f"placeholder %{missing.group(1)}% has no values: set detect.placeholders"
    message = re.sub(r"\s*\(.*?:\d*\)\s*$", "", message) or type(error).__name__
    if line is None:
        quoted = re.findall(r"'([^']+)'", message)
        line = next((n for q in quoted if (n := _line_of(text, q)) is not None), None)
        if line is None:
            section = next((k for k in ("condition", "detection") if k in message.lower()), None)
            line = (_line_of(text, f"{section}:") if section else None) or 1
    rule_id = str(getattr(rule, "id", "") or "")
    title = str(getattr(rule, "title", "") or "")
    return RuleProblem(str(path), line, message, rule_id, title)


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


def _to_json(rule: CompiledRule) -> dict[str, Any]:
    return asdict(rule)


def _from_json(data: dict[str, Any]) -> CompiledRule:
    data = dict(data)
    correlation = data.pop("correlation")
    for key in ("tags", "fields", "false_positives", "references_by"):
        data[key] = tuple(data[key])
    if data["literals"] is not None:
        data["literals"] = tuple(tuple(option) for option in data["literals"])
    if correlation is not None:
        correlation = Correlation(
            **{
                **correlation,
                "rules": tuple(correlation["rules"]),
                "group_by": tuple(correlation["group_by"]),
            }
        )
    return CompiledRule(**data, correlation=correlation)


# -- loading with a cache -------------------------------------------------------------


def load_rules(
    folders: Iterable[Path],
    *,
    placeholders: dict[str, list[str]] | None = None,
    cache_dir: Path | None = None,
    include_builtin: bool = False,
) -> RuleSet:
    """Compile every rule under ``folders`` (and rengo's pack if asked)."""
    placeholders = placeholders or {}
    folders = [Path(f) for f in folders]
    if include_builtin:
        folders.insert(0, builtin_rules_dir())
    salt = json.dumps([CACHE_VERSION, _pysigma_version(), placeholders], sort_keys=True)
    cache = _Cache(cache_dir, hashlib.sha256(salt.encode()).hexdigest()[:16])
    compiler: _Compiler | None = None
    result = RuleSet()
    seen: dict[str, str] = {}
    builtin = builtin_rules_dir()
    for folder, path, stat in rule_files(folders):
        pack = BUILTIN_PACK if folder == builtin else folder.name
        # Keyed by path, size and modification time: a run over a cached rule collection
        # does not read thousands of files.
        key = hashlib.sha256(
            f"{pack}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        ).hexdigest()
        compiled = cache.get(key)
        if compiled is None:
            compiler = compiler or _Compiler(placeholders)
            text = Path(path).read_text("utf-8", errors="replace")
            compiled = compiler.compile_file(Path(path), pack, text)
            cache.put(key, compiled)
        result.problems += [RuleProblem(**p) for p in compiled["problems"]]
        result.unsupported += [RuleProblem(**p) for p in compiled["unsupported"]]
        for data in compiled["rules"]:
            rule = _from_json(data)
            if rule.id in seen:
                result.problems.append(
                    RuleProblem(
                        rule.path,
                        _line_of(Path(path).read_text("utf-8", errors="replace"), rule.id),
                        f"duplicate rule id {rule.id} (first in {seen[rule.id]}); ignored",
                    )
                )
                continue
            seen[rule.id] = rule.path
            result.rules.append(rule)
    cache.save()
    return _link_correlations(result)


def _link_correlations(result: RuleSet) -> RuleSet:
    """Resolve correlation references (by id or name) and mark the base rules they use."""
    by_key: dict[str, CompiledRule] = {}
    for rule in result.rules:
        by_key[rule.id] = rule
        if rule.name:
            by_key[rule.name] = rule
    users: dict[str, list[str]] = {}
    kept = []
    for rule in result.rules:
        corr = rule.correlation
        if corr is None:
            kept.append(rule)
            continue
        missing = [ref for ref in corr.rules if ref not in by_key]
        if missing:
            result.unsupported.append(
                RuleProblem(
                    rule.path,
                    None,
                    f"correlation refers to unknown rule(s): {', '.join(missing)}",
                    rule.id,
                    rule.title,
                )
            )
            continue
        resolved = tuple(by_key[ref].id for ref in corr.rules)
        unknown = [
            n
            for n in _names(corr.expression or ["or", []])
            if n not in by_key or by_key[n].id not in resolved
        ]
        if unknown:
            result.unsupported.append(
                RuleProblem(
                    rule.path,
                    None,
                    "the condition names rule(s) the "
                    f"correlation does not list: {', '.join(unknown)}",
                    rule.id,
                    rule.title,
                )
            )
            continue
        aliases = {
            alias: {by_key[ref].id: value for ref, value in mapping.items() if ref in by_key}
            for alias, mapping in corr.aliases.items()
        }
        expression = _resolve(corr.expression, by_key) if corr.expression else None
        corr = Correlation(
            **{**asdict(corr), "rules": resolved, "aliases": aliases, "expression": expression}
        )
        kept.append(_replace(rule, correlation=corr))
        if not corr.generate:
            for ref in resolved:
                users.setdefault(ref, []).append(rule.id)
    result.rules = [
        _replace(r, references_by=tuple(users[r.id])) if r.id in users else r for r in kept
    ]
    return result


def _names(expression: list[Any]) -> list[str]:
    if expression[0] == "rule":
        return [expression[1]]
    if expression[0] == "not":
        return _names(expression[1])
    return [n for e in expression[1] for n in _names(e)]


def _resolve(expression: list[Any], by_key: dict[str, CompiledRule]) -> list[Any]:
    if expression[0] == "rule":
        return ["rule", by_key[expression[1]].id]
    if expression[0] == "not":
        return ["not", _resolve(expression[1], by_key)]
    return [expression[0], [_resolve(e, by_key) for e in expression[1]]]


def _replace(rule: CompiledRule, **changes: Any) -> CompiledRule:
    data = {name: getattr(rule, name) for name in CompiledRule.__dataclass_fields__}
    data.update(changes)
    return CompiledRule(**data)


def _pysigma_version() -> str:
    from importlib.metadata import version

    return version("pysigma")


class _Cache:
    """Compiled rules per file content, in one JSON file per pipeline configuration."""

    def __init__(self, directory: Path | None, salt: str) -> None:
        self.path = directory / f"compiled-{salt}.json" if directory else None
        self.entries: dict[str, Any] = {}
        self.used: set[str] = set()
        self.dirty = False
        if self.path is not None and self.path.is_file():
            try:
                self.entries = orjson.loads(self.path.read_bytes())
            except (OSError, ValueError):
                self.entries = {}

    def get(self, key: str) -> dict[str, Any] | None:
        found = self.entries.get(key)
        if found is not None:
            self.used.add(key)
        return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.entries[key] = value
        self.used.add(key)
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Runs over different folders share the file: keep what others compiled, unless
        # it has grown past any real rule collection (then keep this run's files only).
        kept = (
            self.entries
            if len(self.entries) <= MAX_CACHED_FILES
            else {k: v for k, v in self.entries.items() if k in self.used}
        )
        write_atomically(self.path, orjson.dumps(kept))


def pack_path(path: str, folders: Iterable[Path]) -> str:
    """``<pack>/<file in the pack>`` for a rule file: what pages and the API show instead
    of a folder of the server (``folders``: the configured rule folders)."""
    roots = [(builtin_rules_dir(), BUILTIN_PACK), *((Path(f), Path(f).name) for f in folders)]
    for root, pack in sorted(roots, key=lambda r: -len(str(r[0]))):
        if root.is_file() and str(root) == path:
            return f"{root.parent.name}/{root.name}"
        prefix = str(root).rstrip("/") + "/"
        if path.startswith(prefix):
            return f"{pack}/{path[len(prefix) :]}"
    return Path(path).name
