"""Validate STIX 2.1 objects; every problem names the object and the property.

The OASIS STIX 2.1 JSON schemas are the ones ``stix2-validator`` ships (the same files as
../shared/data/stix/schemas), compiled once with ``jsonschema-rs`` so that bulk imports
keep up (about 100,000 objects a second instead of a few hundred with the pure-Python
validator). On top of the schemas: the id's prefix is the object's type, ``modified`` is
not before ``created``, and indicator patterns parse under the STIX 2.1 pattern grammar.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from rengo.core.errors import Problem
from rengo.intel import patterns

COMMON_TOP_LEVEL = ("bundle", "marking-definition", "extension-definition", "language-content")


@cache
def _validators() -> dict[str, Any]:
    # Located, not imported: importing stix2validator costs seconds (jsonschema, lark).
    spec = importlib.util.find_spec("stix2validator")
    assert spec is not None and spec.submodule_search_locations, "stix2-validator is not installed"
    root = Path(next(iter(spec.submodule_search_locations))) / "schemas-2.1" / "schemas"
    documents: dict[str, dict[str, Any]] = {}
    for folder in ("common", "observables", "sdos", "sros"):
        for entry in sorted((root / folder).glob("*.json")):
            schema = json.loads(entry.read_text("utf-8"))
            documents[schema["$id"]] = schema
    registry = jsonschema_rs.Registry(list(documents.items()))
    out: dict[str, Any] = {}
    for schema_id, schema in documents.items():
        folder, name = schema_id.rsplit("/", 2)[-2:]
        name = name.removesuffix(".json")
        if folder != "common" or name in (*COMMON_TOP_LEVEL, "core", "cyber-observable-core"):
            out[name] = jsonschema_rs.validator_for(
                schema, registry=registry, validate_formats=True
            )
    return out


def _schema_for(obj: dict[str, Any]) -> Any:
    validators = _validators()
    kind = obj.get("type")
    if isinstance(kind, str) and kind in validators:
        return validators[kind]
    # Custom objects (x-mitre-tactic …): the common properties of SDOs or of observables.
    return validators["core" if "created" in obj else "cyber-observable-core"]


def where(index: int | None, obj: Any, path: list[Any] | tuple[Any, ...] = ()) -> str:
    ident = obj.get("id") if isinstance(obj, dict) else None
    head = f"object {index}" if index is not None else "object"
    if ident:
        head += f" ({ident})"
    if path:
        head += ", property " + ".".join(str(p) for p in path)
    return head


def object_problems(obj: Any, index: int | None = None, *, max_problems: int = 20) -> list[Problem]:
    """Everything wrong with one STIX 2.1 object (empty when it is valid)."""
    if not isinstance(obj, dict):
        return [Problem("a STIX object is a JSON object", where(index, obj))]
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for error in _schema_for(obj).iter_errors(obj):
        location = where(index, obj, list(error.instance_path))
        key = (location, error.message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(error.message, location))
        if len(problems) >= max_problems:
            return problems
    kind, ident = obj.get("type"), obj.get("id")
    if isinstance(kind, str) and isinstance(ident, str) and not ident.startswith(kind + "--"):
        problems.append(Problem(f"id must start with '{kind}--'", where(index, obj, ["id"])))
    created, modified = obj.get("created"), obj.get("modified")
    if (
        isinstance(created, str)
        and isinstance(modified, str)
        and _instant(modified) < _instant(created)
    ):
        problems.append(
            Problem("modified is earlier than created", where(index, obj, ["modified"]))
        )
    if (
        kind == "indicator"
        and obj.get("pattern_type") == "stix"
        and isinstance(obj.get("pattern"), str)
    ):
        error_text = patterns.parse(obj["pattern"]).error
        if error_text:
            problems.append(
                Problem(f"invalid STIX pattern: {error_text}", where(index, obj, ["pattern"]))
            )
    return problems


def _instant(timestamp: str) -> str:
    """A sortable form of an RFC 3339 UTC timestamp with any number of fraction digits."""
    main, _, fraction = timestamp.rstrip("Z").partition(".")
    return f"{main}.{fraction.ljust(9, '0')}"


def bundle_problems(bundle: Any) -> list[Problem]:
    """Problems of a bundle's envelope (not of its objects)."""
    if not isinstance(bundle, dict):
        return [Problem("a STIX bundle is a JSON object", "bundle")]
    problems = []
    if bundle.get("type") != "bundle":
        problems.append(Problem("type must be 'bundle'", "bundle, property type"))
    if not isinstance(bundle.get("objects", []), list):
        problems.append(Problem("objects must be a list", "bundle, property objects"))
    return problems
