"""How deeply a JSON text nests, found without recursion.

Python's ``json`` recurses once per level (``RecursionError`` near 1,000) and orjson
refuses beyond 1,024, but code that walks the parsed value recurses again: a 6 KB body of
``{"a":`` × 1,000 is enough to crash whoever reads it. Input from outside (log records,
TAXII envelopes) is measured here first, iteratively, and refused past a limit with the
place named, before anything recursive sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# A string literal (skipped whole, escapes included) or one bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')
_OPEN = frozenset(b"[{")


def nesting_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a scalar)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(data):
        token = match.group()[0]
        if token == 0x22:  # a string
            continue
        if token in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def deeper_than(data: bytes, limit: int) -> bool:
    """``True`` when ``data`` nests more than ``limit`` levels (cheap for most inputs:
    a text with no more opening brackets than the limit cannot nest deeper)."""
    if data.count(b"{") + data.count(b"[") <= limit:
        return False
    return nesting_depth(data) > limit


@dataclass(frozen=True, slots=True)
class Value:
    """One top-level value of a stream of concatenated JSON values."""

    start: int
    end: int
    depth: int


def top_level_values(data: bytes) -> Iterator[Value | int]:
    """The objects and arrays of ``{…}{…}`` / ``{…},{…}``, in order, with their depth.

    Anything else between them (a bare scalar, an unclosed value) ends the stream: its
    offset is yielded instead of a ``Value``, so that the caller can report the rest.
    """
    depth = deepest = 0
    start = 0
    position = 0
    for match in _TOKENS.finditer(data):
        if depth == 0:
            gap = data[position : match.start()]
            if gap.strip(b" \t\r\n,") or match.group()[0] not in _OPEN:
                yield position + (len(gap) - len(gap.lstrip(b" \t\r\n,")))
                return
            start = match.start()
        token = match.group()[0]
        if token == 0x22:
            continue
        if token in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
            continue
        depth -= 1
        if depth == 0:
            yield Value(start, match.end(), deepest)
            deepest = 0
            position = match.end()
    if depth:
        yield start
    elif data[position:].strip(b" \t\r\n,"):
        rest = data[position:]
        yield position + (len(rest) - len(rest.lstrip(b" \t\r\n,")))
