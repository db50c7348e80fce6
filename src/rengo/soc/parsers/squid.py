"""Squid's native access.log: ``time elapsed client code/status bytes method URL ident
hierarchy/peer type`` → HTTP Activity (CONNECT as Network Activity's open)."""

from __future__ import annotations

from rengo.soc.parsers.common import (
    Event,
    ParseError,
    as_int,
    classify,
    clean,
    epoch_to_time,
)
from rengo.soc.parsers.registry import Parser

DENIED = ("TCP_DENIED", "NONE_NONE", "TCP_DENIED_REPLY")


def parse_squid(text: str) -> Event:
    parts = text.split()
    if len(parts) < 10:
        raise ParseError(f"Squid access log line has {len(parts)} of 10 fields")
    stamp, elapsed, client, code_status, size, method, url, ident, hierarchy, mime = parts[:10]
    try:
        time = epoch_to_time(float(stamp))
    except ValueError as exc:
        raise ParseError(f"Squid time {stamp!r} is not epoch seconds") from exc
    code, _, status = code_status.partition("/")
    peer = hierarchy.partition("/")[2]
    event: Event = {
        "time": time,
        "vendor": "Squid",
        "product": "Squid",
        "src_ip": client,
        "http_method": method,
        "url": url,
        "http_status": as_int(status),
        "bytes_in": as_int(size),
        "user_name": clean(ident),
        "dst_ip": clean(peer),
        "action": "denied" if code.startswith(DENIED) else "allowed",
        "message": f"{method} {url} {code_status}",
        "unmapped": {
            "elapsed_ms": elapsed,
            "result_code": code,
            "hierarchy": hierarchy,
            "content_type": mime,
            "extra": " ".join(parts[10:]),
        },
    }
    if as_int(status) is None and status != "000":
        raise ParseError(f"Squid status {code_status!r} is not CODE/NNN")
    classify(event, 4002, 1, "Connect")
    event["status_id"] = 2 if code.startswith(DENIED) else 1
    return event


def looks_like_squid(text: str) -> bool:
    head = text.split(" ", 1)[0]
    return head.replace(".", "", 1).isdigit() and "." in head and "/" in text


PARSER = Parser(
    "squid",
    "Squid native access.log",
    "text",
    lambda text, _known: parse_squid(text),
    sniff=looks_like_squid,
    order=60,
)
