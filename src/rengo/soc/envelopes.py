"""HTTP bodies as shippers send them, split into single records.

- NDJSON / JSON lines (``application/x-ndjson``, Vector's ``ndjson`` framing, Fluent
  Bit ``format json_lines``), and plain text lines;
- a JSON array (Vector's ``codec json``, Fluent Bit ``format json``) or one object;
- concatenated JSON objects (Fluent Bit ``format json_stream``);
- MessagePack (Fluent Bit's default ``format msgpack``): a stream of
  ``[time, record]`` or ``[[time, metadata], record]``; time becomes ``date``.

A record that cannot be read is returned with the reason (and its bytes, when it has
any), so that one bad line never stops the rest of its request. ``Limits`` bound what one
record may be: its size and how deeply its JSON nests (measured without recursion, see
``rengo.core.jsondepth``). ``problems`` applies the same limits at the HTTP edge, naming
the record, so that a request holding a record the lake would refuse is answered 4xx
instead of being acknowledged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgpack
import orjson

from rengo.core.errors import Problem
from rengo.core.jsondepth import deeper_than, nesting_depth, top_level_values

Piece = tuple[bytes | None, str | None]
"""A record and ``None``; or why it cannot be stored, with its bytes when there are any."""


class Refusal(str):
    """A reason that is a limit (size, depth), not a parse failure: the HTTP edge refuses
    a body holding one; a record that merely does not parse is quarantined instead."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """What one record may be (``soc.max_record_bytes``, ``soc.max_json_depth``)."""

    max_record_bytes: int = 4 << 20
    max_depth: int = 64

    def refusal(self, record: bytes) -> str | None:
        """Why ``record`` cannot be stored, or ``None`` when it is within the limits."""
        if len(record) > self.max_record_bytes:
            return Refusal(f"record of {len(record)} bytes (at most {self.max_record_bytes})")
        head = record[:1]
        if head.isspace():
            head = record[:64].lstrip()[:1]
        if (head == b"{" or head == b"[") and deeper_than(record, self.max_depth):
            depth = nesting_depth(record)
            return Refusal(f"nested {depth} levels deep (at most {self.max_depth})")
        return None


MSGPACK_TYPES = ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack")


def _lines(body: bytes) -> Iterator[Piece]:
    for line in body.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.strip():
            yield line, None


def _json_stream(body: bytes, limits: Limits) -> Iterator[Piece]:
    """Concatenated JSON values, found by an iterative scan (never by recursion)."""
    for value in top_level_values(body):
        if isinstance(value, int):  # not JSON from here on: the parser will say why
            yield body[value:], None
            return
        text = body[value.start : value.end]
        if value.depth > limits.max_depth:
            yield text, Refusal(f"nested {value.depth} levels deep (at most {limits.max_depth})")
            continue
        try:
            yield orjson.dumps(orjson.loads(text)), None
        except orjson.JSONDecodeError:
            yield text, None  # the parser will say what is wrong with it


def _fluent_time(value: Any) -> float | None:
    if isinstance(value, msgpack.ExtType) and value.code == 0 and len(value.data) == 8:
        seconds = int.from_bytes(value.data[:4], "big")
        nanos = int.from_bytes(value.data[4:], "big")
        return seconds + nanos / 1e9
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, msgpack.Timestamp):
        return float(value.to_unix())
    return None


def _default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _msgpack(body: bytes) -> Iterator[Piece]:
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, timestamp=0)
    unpacker.feed(body)
    number = 0
    try:
        for item in unpacker:
            number += 1
            if not (
                isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[1], dict)
            ):
                yield None, f"msgpack entry {number} is not [time, record]"
                continue
            head, record = item
            nested = isinstance(head, list | tuple) and not isinstance(head, msgpack.ExtType)
            when = _fluent_time(head[0] if nested else head)
            record = dict(record)
            if when is not None and "date" not in record:
                record["date"] = when
            try:
                text = orjson.dumps(record, default=_default, option=orjson.OPT_NON_STR_KEYS)
            except orjson.JSONEncodeError as exc:  # nested too deeply for JSON, for one
                yield None, f"msgpack entry {number} cannot be stored as JSON: {exc}"
                continue
            yield text, None
    except (msgpack.UnpackException, ValueError) as exc:
        yield None, f"msgpack stream broken after entry {number}: {exc}"


def _pieces(body: bytes, content_type: str, limits: Limits) -> Iterator[Piece]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in MSGPACK_TYPES:
        yield from _msgpack(body)
        return
    stripped = body.lstrip()
    if stripped[:1] == b"[":
        if deeper_than(body, limits.max_depth + 1):  # the array itself is one level
            depth = nesting_depth(body) - 1
            yield None, Refusal(f"body nests {depth} levels deep (at most {limits.max_depth})")
            return
        try:
            items = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            yield None, f"body is a JSON array that does not parse: {exc}"
            return
        if not isinstance(items, list):
            yield None, "body is not a JSON array"
            return
        for item in items:
            yield orjson.dumps(item), None
        return
    if stripped[:1] == b"{" and b"\n" not in body.strip():
        yield from _json_stream(body, limits)
        return
    yield from _lines(body)


def split_body(body: bytes, content_type: str, limits: Limits | None = None) -> Iterator[Piece]:
    """The records of one HTTP request body, by content type and shape; a record past
    ``limits`` comes with the reason it cannot be stored."""
    limits = limits or Limits()
    if _lines_within(body, content_type, limits):  # nearly every body: no check per line
        yield from _lines(body)
        return
    for record, error in _pieces(body, content_type, limits):
        if error is None and record is not None:
            error = limits.refusal(record)
        yield record, error


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]\n")


def _lines_within(body: bytes, content_type: str, limits: Limits) -> bool:
    """``True`` when ``body`` is records one per line and none can be past ``limits``,
    found at C speed (no pass per line): the body is no larger than one record may be,
    and removing matched ``{}``/``[]`` pairs (never across lines) empties its brackets in at most
    ``max_depth`` global replacements — each lowers the deepest nesting by one at most,
    so no record nests deeper. Anything else (brackets in strings that do not pair up,
    a deeper record) is left to the exact check."""
    kind = content_type.split(";", 1)[0].strip().lower()
    first = body[:64].lstrip()[:1]
    if kind in MSGPACK_TYPES or first == b"[" or (first == b"{" and b"\n" not in body.strip()):
        return False
    if len(body) > limits.max_record_bytes:
        return False
    # Newlines stay: a pair never spans two records.
    brackets = body.translate(None, _NOT_BRACKETS)
    for _ in range(limits.max_depth):
        if not brackets.translate(None, b"\n"):
            return True
        reduced = brackets.replace(b"{}", b"")
        if reduced == brackets:
            reduced = brackets.replace(b"[]", b"")
            if reduced == brackets:
                return False  # brackets that do not pair up
        brackets = reduced
    return not brackets.translate(None, b"\n")


def problems(body: bytes, content_type: str, limits: Limits, most: int = 10) -> list[Problem]:
    """The first ``most`` records of ``body`` past ``limits``, each with why (for the HTTP
    edge: refuse the request rather than acknowledge them). A record that only does not
    parse is no problem here: the writer quarantines it with the reason."""
    if _lines_within(body, content_type, limits):
        return []
    found = []
    for number, (_record, error) in enumerate(split_body(body, content_type, limits), 1):
        if isinstance(error, Refusal):
            found.append(Problem(str(error), f"body record {number}"))
            if len(found) >= most:
                break
    return found
