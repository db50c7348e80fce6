"""Parsers: one module per log format (its ``PARSER``, see ``registry``), each a pure
function from a record to an event.

``parse_record(format, record, received)`` is the one entry point: it reads one record
(bytes) in the given format — or recognises the format (``auto``) — and returns the
format it used and the event's columns, or raises ``ParseError`` with the reason.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from rengo.soc.parsers.common import Event, ParseError
from rengo.soc.parsers.registry import Parser, parsers
from rengo.soc.parsers.syslog import split_syslog

AUTO = "auto"
FALLBACK = "json"
"""The format of a JSON object no parser recognises."""
UNREADABLE = b"!unreadable: "
"""How a file reader marks a record it could not read (the reason follows)."""
SHIPPER_KEYS = {
    "message",
    "timestamp",
    "@timestamp",
    "date",
    "host",
    "hostname",
    "source_type",
    "file",
    "path",
    "tag",
    "log",
    "source",
    "appname",
    "facility",
    "severity",
    "procid",
}


def formats() -> dict[str, str]:
    """Every format a record may be given in, with what it is (``auto``: recognised)."""
    return {
        AUTO: "recognise each record's format from its shape",
        **{name: p.description for name, p in parsers().items()},
    }


def _json(record: bytes) -> object:
    try:
        return orjson.loads(record)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc


def _object(record: bytes) -> dict[str, object]:
    if record.startswith(UNREADABLE):
        raise ParseError(record[len(UNREADABLE) :].decode("utf-8", "replace"))
    obj = _json(record)
    if not isinstance(obj, dict):
        raise ParseError(f"a JSON {type(obj).__name__}, not an object")
    return obj


def _syslog(record: bytes, received: datetime) -> tuple[str, Event]:
    """The header, then the body in the format that recognises it (else plain syslog)."""
    header, body = split_syslog(record, received)
    for parser in parsers().values():
        if parser.in_syslog is not None and parser.in_syslog(body):
            return parser.name, parser.parse(body, header)
    envelope = next(p for p in parsers().values() if p.envelope)
    return envelope.name, envelope.parse(body, header)


def _auto_text(record: bytes, received: datetime) -> tuple[str, Event]:
    text = record.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        return _syslog(record, received)
    tried = []
    for parser in parsers().values():
        if parser.shape == "text" and parser.sniff is not None:
            if parser.sniff(text):
                return parser.name, parser.parse(text, {"time": received})
            tried.append(parser.name)
    raise ParseError(f"format not recognised (not JSON, syslog, {', '.join(tried)})")


def _auto_json(obj: object, received: datetime) -> tuple[str, Event]:
    if not isinstance(obj, dict):
        raise ParseError(f"a JSON {type(obj).__name__}, not an object")
    for parser in parsers().values():
        if parser.shape == "json" and parser.sniff is not None and parser.sniff(obj):
            return parser.name, parser.parse(obj, {"time": received})
    message = obj.get("message") or obj.get("log")
    if isinstance(message, str) and set(obj) <= SHIPPER_KEYS and message.strip():
        # A shipper (Vector, Fluent Bit) wrapped a raw line: parse the line itself.
        inner = message.encode()
        try:
            if message.lstrip().startswith("{"):
                return _auto_json(_json(inner), received)
            fmt, event = _auto_text(inner, received)
        except ParseError:
            return FALLBACK, parsers()[FALLBACK].parse(obj, {"time": received})
        if not event.get("device_hostname") and isinstance(obj.get("host"), str):
            event["device_hostname"] = obj["host"]
        return fmt, event
    return FALLBACK, parsers()[FALLBACK].parse(obj, {"time": received})


def _named(parser: Parser, record: bytes, received: datetime) -> tuple[str, Event]:
    """A record in the format it was declared to be in."""
    if parser.envelope:
        return _syslog(record, received)
    if parser.shape == "json":
        obj = _object(record)
        for name in parser.hands_over:
            other = parsers()[name]
            if other.sniff is not None and other.sniff(obj):
                return other.name, other.parse(obj, {"time": received})
        return parser.name, parser.parse(obj, {"time": received})
    text = record.decode("utf-8", "replace").strip()
    if parser.in_syslog is not None and text.startswith("<"):
        header, body = split_syslog(record, received)
        return parser.name, parser.parse(body, header)
    return parser.name, parser.parse(text, {"time": received})


def parse_record(fmt: str, record: bytes, received: datetime) -> tuple[str, Event]:
    """Parse one record; return (the format used, the event's columns)."""
    if not record.strip():
        raise ParseError("empty record")
    if fmt == AUTO:
        if record.lstrip()[:1] in (b"{", b"["):
            return _auto_json(_json(record), received)
        return _auto_text(record, received)
    parser = parsers().get(fmt)
    if parser is None:
        raise ParseError(f"unknown format {fmt!r}; known: {', '.join(formats())}")
    return _named(parser, record, received)


__all__ = ["AUTO", "UNREADABLE", "Event", "ParseError", "Parser", "formats", "parse_record"]
