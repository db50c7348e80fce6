"""Parsers: one module per log format, each a pure function from a record to an event.

``parse_record(format, record, received)`` is the one entry point: it reads one record
(bytes) in the given format — or recognises the format (``auto``) — and returns the
format it used and the event's columns, or raises ``ParseError`` with the reason.
"""

from __future__ import annotations

from datetime import datetime

import orjson

from rengo.soc.parsers.cef import parse_cef
from rengo.soc.parsers.common import Event, ParseError
from rengo.soc.parsers.fortigate import looks_like_fortigate, parse_fortigate
from rengo.soc.parsers.generic_json import parse_json_object
from rengo.soc.parsers.m365 import looks_like_m365, parse_m365
from rengo.soc.parsers.squid import looks_like_squid, parse_squid
from rengo.soc.parsers.syslog import plain_syslog, split_syslog
from rengo.soc.parsers.windows import looks_like_windows, parse_windows_json

FORMATS: dict[str, str] = {
    "auto": "recognise each record's format from its shape",
    "evtx": "Windows EVTX file (records rendered to JSON by the evtx package)",
    "windows-json": "Windows event JSON: EVTX rendering, Winlogbeat or NXLog",
    "syslog": "syslog RFC 5424 or RFC 3164 (CEF and FortiGate bodies recognised)",
    "cef": "ArcSight CEF, bare or after a syslog header",
    "fortigate": "FortiGate key=value (traffic, UTM, event/SSL-VPN)",
    "squid": "Squid native access.log",
    "m365": "Microsoft 365 unified audit log JSON",
    "json": "generic JSON lines (OCSF attributes recognised)",
}
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


def _json(record: bytes) -> object:
    try:
        return orjson.loads(record)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc


def _syslog_with_body(record: bytes, received: datetime) -> tuple[str, Event]:
    header, body = split_syslog(record, received)
    if "CEF:" in body[:80]:
        return "cef", parse_cef(body, header)
    if looks_like_fortigate(body):
        return "fortigate", parse_fortigate(body, header)
    return "syslog", plain_syslog(header)


def _auto_text(record: bytes, received: datetime) -> tuple[str, Event]:
    text = record.decode("utf-8", "replace").strip()
    if text.startswith("<"):
        return _syslog_with_body(record, received)
    if text.startswith("CEF:"):
        return "cef", parse_cef(text, {"time": received})
    if looks_like_fortigate(text):
        return "fortigate", parse_fortigate(text)
    if looks_like_squid(text):
        return "squid", parse_squid(text)
    raise ParseError("format not recognised (not JSON, syslog, CEF, FortiGate or Squid)")


def _auto_json(obj: object, received: datetime) -> tuple[str, Event]:
    if not isinstance(obj, dict):
        raise ParseError(f"a JSON {type(obj).__name__}, not an object")
    if looks_like_windows(obj):
        return "windows-json", parse_windows_json(obj)
    if looks_like_m365(obj):
        return "m365", parse_m365(obj)
    message = obj.get("message") or obj.get("log")
    if isinstance(message, str) and set(obj) <= SHIPPER_KEYS and message.strip():
        # A shipper (Vector, Fluent Bit) wrapped a raw line: parse the line itself.
        inner = message.encode()
        try:
            if message.lstrip().startswith("{"):
                return _auto_json(_json(inner), received)
            fmt, event = _auto_text(inner, received)
        except ParseError:
            return "json", parse_json_object(obj, received)
        if not event.get("device_hostname") and isinstance(obj.get("host"), str):
            event["device_hostname"] = obj["host"]
        return fmt, event
    return "json", parse_json_object(obj, received)


def parse_record(fmt: str, record: bytes, received: datetime) -> tuple[str, Event]:
    """Parse one record; return (the format used, the event's columns)."""
    if not record.strip():
        raise ParseError("empty record")
    if fmt == "auto":
        if record.lstrip()[:1] in (b"{", b"["):
            return _auto_json(_json(record), received)
        return _auto_text(record, received)
    if fmt in ("evtx", "windows-json"):
        if record.startswith(b"!unreadable: "):
            raise ParseError(record[13:].decode("utf-8", "replace"))
        obj = _json(record)
        if not isinstance(obj, dict):
            raise ParseError("a Windows event is a JSON object")
        return fmt, parse_windows_json(obj)
    if fmt == "m365":
        obj = _json(record)
        if not isinstance(obj, dict):
            raise ParseError("an M365 audit record is a JSON object")
        return fmt, parse_m365(obj)
    if fmt == "json":
        obj = _json(record)
        if isinstance(obj, dict):
            return (
                _auto_json(obj, received)
                if looks_like_windows(obj)
                else (
                    "json",
                    parse_json_object(obj, received),
                )
            )
        raise ParseError(f"a JSON {type(obj).__name__}, not an object")
    text = record.decode("utf-8", "replace").strip()
    if fmt == "syslog":
        return _syslog_with_body(record, received)
    if fmt == "cef":
        if text.startswith("<"):
            header, body = split_syslog(record, received)
            return fmt, parse_cef(body, header)
        return fmt, parse_cef(text, {"time": received})
    if fmt == "fortigate":
        if text.startswith("<"):
            header, body = split_syslog(record, received)
            return fmt, parse_fortigate(body, header)
        return fmt, parse_fortigate(text)
    if fmt == "squid":
        return fmt, parse_squid(text)
    raise ParseError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Event", "ParseError", "parse_record"]
