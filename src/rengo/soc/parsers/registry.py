"""The registry of log formats: a new format is one new module with a ``PARSER``.

Every module of ``rengo.soc.parsers`` that defines ``PARSER = Parser(...)`` (or a tuple
``PARSERS``) is a format:
``parsers()`` finds them, ordered for recognition (``auto``). A parser reads either a
JSON object or a line of text; ``sniff`` recognises its records (None: only when asked
for by name), ``in_syslog`` its messages inside a syslog header.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from rengo.soc.parsers.common import Event


@dataclass(frozen=True, slots=True)
class Parser:
    name: str
    description: str
    shape: Literal["json", "text"]
    parse: Callable[[Any, Event], Event]
    """The JSON object or the text, and what is known before it: the syslog header's
    columns, or at least ``{"time": received}``."""
    sniff: Callable[[Any], bool] | None = None
    """Whether a JSON object or a text is of this format (for ``auto``)."""
    in_syslog: Callable[[str], bool] | None = None
    """Whether a syslog message's body is of this format."""
    order: int = 50
    """Listing and recognition order: lower first."""
    hands_over: tuple[str, ...] = ()
    """Formats a record named as this one goes to when their ``sniff`` recognises it."""
    envelope: bool = False
    """A header around a message of another format (syslog): its body is recognised."""


@cache
def parsers() -> dict[str, Parser]:
    """Every format by name, in recognition order."""
    import rengo.soc.parsers as package

    found: list[Parser] = []
    for module in pkgutil.iter_modules(package.__path__):
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        one = getattr(loaded, "PARSER", None)
        found += [one] if isinstance(one, Parser) else list(getattr(loaded, "PARSERS", ()))
    return {p.name: p for p in sorted(found, key=lambda p: (p.order, p.name))}
