"""ArcSight Common Event Format: ``CEF:Version|Vendor|Product|Version|ID|Name|Severity|ext``.

Header fields escape '|' and '\\'; extension values escape '=' and '\\' and run up to
the next `` key=`` (values may hold spaces). Mapping to OCSF: a ``request`` makes HTTP
Activity, end points make Network Activity, a user without end points Authentication
when the name says so, otherwise a Base Event; see docs/soc.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from rengo.soc.parsers.common import (
    Event,
    ParseError,
    as_int,
    as_port,
    classify,
    clean,
    epoch_to_time,
    hash_column,
)
from rengo.soc.parsers.registry import Parser

EXTENSION_KEY = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_.\[\]-]+)=")
UNESCAPE_EXT = re.compile(r"\\(.)")
CEF_TIME_FORMATS = ("%b %d %Y %H:%M:%S.%f", "%b %d %Y %H:%M:%S", "%b %d %H:%M:%S")


def _split_header(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|" and len(parts) < 7:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        if len(parts) == 7:
            parts.append(text[index + 1 :])
            return parts
    parts.append("".join(current))
    return parts


def parse_extension(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    keys = [m for m in EXTENSION_KEY.finditer(text) if text[m.start() - 1 : m.start()] != "\\"]
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        raw = text[match.end() : end].rstrip(" ")
        out[match.group(1)] = UNESCAPE_EXT.sub(
            lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), raw
        )
    return out


def _cef_time(value: str) -> datetime | None:
    if value.isdigit():
        return epoch_to_time(int(value))
    for fmt in CEF_TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_cef(text: str, base: Event | None = None) -> Event:
    """A CEF message (with or without a syslog header already removed) as an OCSF event."""
    start = text.find("CEF:")
    if start == -1:
        raise ParseError("no 'CEF:' marker")
    header = _split_header(text[start + 4 :])
    if len(header) < 8:
        raise ParseError(f"CEF header has {len(header)} of 8 '|'-separated fields")
    version, vendor, product, _product_version, signature, name, severity, ext = header
    if not version.strip().isdigit():
        raise ParseError(f"CEF version {version!r} is not a number")
    fields = parse_extension(ext)
    event: Event = dict(base or {})
    unmapped = dict(event.get("unmapped") or {})
    unmapped.update(fields)
    unmapped.update({"cef_signature_id": signature, "cef_name": name, "cef_severity": severity})
    received = event.get("time")
    when = _cef_time(fields["rt"]) if "rt" in fields else None
    if "rt" in fields and when is None:
        raise ParseError(f"CEF rt={fields['rt']!r} is neither epoch ms nor 'MMM dd yyyy HH:mm:ss'")
    sev = as_int(severity)
    if sev is None:
        sev = {"low": 2, "medium": 3, "high": 4, "very-high": 5}.get(severity.lower(), 0)
        sev10 = None
    else:
        sev10 = sev
    event.update(
        time=when or received,
        vendor=vendor,
        product=product,
        event_code=signature,
        message=fields.get("msg") or name,
        severity_id=sev if sev10 is None else min(6, 1 + sev10 // 2),
        src_ip=clean(fields.get("src")),
        src_port=as_port(fields.get("spt")),
        dst_ip=clean(fields.get("dst")),
        dst_port=as_port(fields.get("dpt")),
        user_name=clean(fields.get("suser")) or clean(fields.get("duser")),
        protocol=clean(fields.get("proto")) or clean(fields.get("app")),
        action=clean(fields.get("act")),
        url=clean(fields.get("request")),
        http_method=clean(fields.get("requestMethod")),
        user_agent=clean(fields.get("requestClientApplication")),
        file_path=clean(fields.get("filePath")) or clean(fields.get("fname")),
        bytes_in=as_int(fields.get("in")),
        bytes_out=as_int(fields.get("out")),
        device_hostname=event.get("device_hostname") or clean(fields.get("dvchost")),
        device_ip=clean(fields.get("dvc")),
        unmapped=unmapped,
    )
    if event["time"] is None:
        raise ParseError("CEF event has neither rt= nor a syslog header time")
    if (digest := hash_column(fields.get("fileHash"))) is not None:
        event[digest[0]] = digest[1]  # fileHash names no algorithm: its length tells
    lowered = name.lower()
    if event["url"]:
        classify(event, 4002, 1, "Connect")
    elif any(word in lowered for word in ("logon", "login", "authentication")):
        failed = any(word in lowered for word in ("fail", "denied", "invalid"))
        classify(event, 3002, 1, "Logon")
        event["status_id"] = 2 if failed else 1
    elif event["src_ip"] or event["dst_ip"]:
        classify(event, 4001, 6, "Traffic")
    else:
        classify(event, 0, 0, "Unknown")
    return event


PARSER = Parser(
    "cef",
    "ArcSight CEF, bare or after a syslog header",
    "text",
    parse_cef,
    sniff=lambda text: text.startswith("CEF:"),
    in_syslog=lambda body: "CEF:" in body[:80],
    order=40,
)
