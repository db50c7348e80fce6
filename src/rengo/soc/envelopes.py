"""HTTP bodies as shippers send them, split into single records.

- NDJSON / JSON lines (``application/x-ndjson``, Vector's ``ndjson`` framing, Fluent
  Bit ``format json_lines``), and plain text lines;
- a JSON array (Vector's ``codec json``, Fluent Bit ``format json``) or one object;
- concatenated JSON objects (Fluent Bit ``format json_stream``);
- MessagePack (Fluent Bit's default ``format msgpack``): a stream of
  ``[time, record]`` or ``[[time, metadata], record]``; time becomes ``date``.

A record that cannot be read is returned with the reason instead of bytes, so that one
bad line never stops the rest of its request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import msgpack
import orjson

Piece = tuple[bytes | None, str | None]
"""A record, or ``None`` and why it could not be read."""

MSGPACK_TYPES = ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack")


def _lines(body: bytes) -> Iterator[Piece]:
    for line in body.split(b"\n"):
        line = line.rstrip(b"\r")
        if line.strip():
            yield line, None


def _json_stream(text: str) -> Iterator[Piece]:
    decoder = json.JSONDecoder()
    index = 0
    while index < len(text):
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text):
            return
        try:
            obj, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            yield text[index:].encode(), None  # the parser will say what is wrong with it
            del exc
            return
        yield orjson.dumps(obj), None
        index = end


def _fluent_time(value: Any) -> float | None:
    if isinstance(value, msgpack.ExtType) and value.code == 0 and len(value.data) == 8:
        seconds = int.from_bytes(value.data[:4], "big")
        nanos = int.from_bytes(value.data[4:], "big")
        return seconds + nanos / 1e9
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, msgpack.Timestamp):
        return value.to_unix()
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
            yield orjson.dumps(record, default=_default, option=orjson.OPT_NON_STR_KEYS), None
    except (msgpack.UnpackException, ValueError) as exc:
        yield None, f"msgpack stream broken after entry {number}: {exc}"


def split_body(body: bytes, content_type: str) -> Iterator[Piece]:
    """The records of one HTTP request body, by content type and shape."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in MSGPACK_TYPES:
        yield from _msgpack(body)
        return
    stripped = body.lstrip()
    if stripped[:1] == b"[":
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
        yield from _json_stream(body.decode("utf-8", "replace"))
        return
    yield from _lines(body)
