"""The standard dataset types of 自治体標準オープンデータセット, as Frictionless Table Schemas.

Each type is a JSON Table Schema shipped in ``tableschemas/`` (column layout of the Digital
Agency's definition: 全国地方公共団体コード, ID, 地方公共団体名, 名称, …). A field may carry
``rengo:check`` naming the check of ``checks.CHECKS`` its values must pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rengo.core.errors import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: str
    required: bool
    check: str
    """A key of ``checks.CHECKS`` ('' = only the type's own check)."""


@dataclass(frozen=True, slots=True)
class StandardType:
    key: str
    title_ja: str
    title_en: str
    fields: tuple[Field, ...]
    schema: dict[str, Any]
    """The Table Schema as shipped (served unchanged at the API)."""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _load(key: str) -> StandardType:
    text = resources.files("rengo.opendata").joinpath(f"tableschemas/{key}.json").read_text("utf-8")
    schema = json.loads(text)
    fields = tuple(
        Field(
            name=f["name"],
            type=f["type"],
            required=bool(f.get("constraints", {}).get("required", False)),
            check=f.get("rengo:check", "" if f["type"] == "string" else f["type"]),
        )
        for f in schema["fields"]
    )
    return StandardType(key, schema["title"], schema["title_en"], fields, schema)


@cache
def standard_types() -> dict[str, StandardType]:
    """Every shipped type by key (``aed``, ``shelter``, …)."""
    folder = resources.files("rengo.opendata").joinpath("tableschemas")
    keys = sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )
    return {key: _load(key) for key in keys}


def standard_type(key: str) -> StandardType:
    """The type named by its key or its Japanese title (``aed`` or ``AED設置箇所一覧``)."""
    types = standard_types()
    if key in types:
        return types[key]
    for found in types.values():
        if key == found.title_ja:
            return found
    raise InvalidInput(
        "unknown standard dataset type {key!r}; one of {known}",
        [Problem("not a standard type", "option --type")],
        values={"key": key, "known": ", ".join(types)},
    )
