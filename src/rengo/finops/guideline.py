"""The FinOps cloud-use guideline (measure 2, 主な取組①): versioned, Japanese first.

The text is shipped with rengo (``data/guideline.toml``); a new version is appended, never
edited in place, so that a training can cite the version it taught.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rengo.core.errors import NotFound

SOURCE = Path(__file__).parent / "data" / "guideline.toml"


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title_ja: str
    title_en: str
    body_ja: tuple[str, ...]
    body_en: tuple[str, ...]

    def title(self, language: str) -> str:
        return self.title_ja if language == "ja" else self.title_en

    def body(self, language: str) -> tuple[str, ...]:
        return self.body_ja if language == "ja" else self.body_en


@dataclass(frozen=True, slots=True)
class Version:
    version: str
    issued: str
    note_ja: str
    note_en: str
    sections: tuple[Section, ...]

    def note(self, language: str) -> str:
        return self.note_ja if language == "ja" else self.note_en


@cache
def versions() -> tuple[Version, ...]:
    """Every version, oldest first."""
    data = tomllib.loads(SOURCE.read_text("utf-8"))
    return tuple(
        Version(
            v["version"],
            v["issued"],
            v["note_ja"],
            v["note_en"],
            tuple(
                Section(
                    s["id"], s["title_ja"], s["title_en"], tuple(s["body_ja"]), tuple(s["body_en"])
                )
                for s in v["sections"]
            ),
        )
        for v in data["versions"]
    )


def version(name: str | None = None) -> Version:
    """The named version, or the current (newest) one."""
    if name is None:
        return versions()[-1]
    for v in versions():
        if v.version == name:
            return v
    raise NotFound("no guideline version {version!r}", values={"version": name})
