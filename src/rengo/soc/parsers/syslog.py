"""Syslog headers (RFC 5424 and RFC 3164) and what is inside them.

The header gives time, host and program; the message body is then handed to the
parser of its content when it has one (CEF, FortiGate key=value, sshd), else the event
is a Base Event with the message. RFC 3164 carries no year and no zone: the year is
the one that puts the time nearest to the receipt time, the zone a setting (JST).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone
from typing import Any

from rengo.soc.parsers.common import (
    JST,
    Event,
    ParseError,
    as_port,
    classify,
    parse_iso_time,
)
from rengo.soc.parsers.registry import Parser

RFC5424 = re.compile(
    rb"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    rb"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.DOTALL,
)
RFC3164 = re.compile(
    rb"<(?P<pri>\d{1,3})>(?P<ts>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?:(?P<host>[^\s:\[]+) )?"
    rb"(?P<tag>[^\s:\[]+)(?:\[(?P<procid>[^\]]*)\])?: ?(?P<msg>.*)$",
    re.DOTALL,
)
SD_ELEMENT = re.compile(r'\[(\S+?)((?: [^=\s]+="(?:[^"\\]|\\.)*")*)\]')
SD_PARAM = re.compile(r'([^=\s]+)="((?:[^"\\]|\\.)*)"')
MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
# syslog severity 0 (emergency) … 7 (debug) to OCSF severity_id.
SYSLOG_SEVERITY = {0: 6, 1: 5, 2: 5, 3: 4, 4: 3, 5: 2, 6: 1, 7: 1}
SSHD = re.compile(
    r"(?P<result>Accepted|Failed) (?P<method>\S+) for (?:invalid user )?(?P<user>\S+) "
    r"from (?P<ip>\S+) port (?P<port>\d+)"
)


def _year_nearest(month: int, day: int, clock: str, received: datetime, tz: timezone) -> datetime:
    hour, minute, second = (int(x) for x in clock.split(":"))
    best = None
    for year in (received.year - 1, received.year, received.year + 1):
        try:
            candidate = datetime(year, month, day, hour, minute, second, tzinfo=tz)
        except ValueError:
            continue  # 29 February in a common year
        if best is None or abs(candidate - received) < abs(best - received):
            best = candidate
    if best is None:
        raise ParseError(f"RFC 3164 date {month}/{day} exists in no nearby year")
    return best.astimezone(UTC)


def _structured_data(sd: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for sd_id, params in SD_ELEMENT.findall(sd):
        for name, value in SD_PARAM.findall(params):
            out[f"{sd_id}.{name}"] = value.replace('\\"', '"').replace("\\]", "]")
    return out


def split_syslog(record: bytes, received: datetime, tz: timezone = JST) -> tuple[Event, str]:
    """The header fields of a syslog message as an event, and its message body."""
    line = record.rstrip(b"\r\n")
    match = RFC5424.match(line)
    unmapped: dict[str, Any] = {}
    if match:
        ts = match["ts"].decode()
        time = received if ts == "-" else parse_iso_time(ts)
        host, app = match["host"].decode(), match["app"].decode()
        procid = match["procid"].decode()
        sd = match["sd"].decode("utf-8", "replace")
        if sd != "-":
            unmapped.update(_structured_data(sd))
        unmapped["msgid"] = match["msgid"].decode()
        body = (match["msg"] or b"").decode("utf-8", "replace").removeprefix("\ufeff")
        syntax = "rfc5424"
    else:
        match = RFC3164.match(line)
        if not match:
            raise ParseError(
                "no RFC 5424 or RFC 3164 header (<PRI>VERSION TIMESTAMP … / <PRI>Mmm dd hh:mm:ss …)"
            )
        month_name, day, clock = match["ts"].decode().split()
        if month_name not in MONTHS:
            raise ParseError(f"RFC 3164 month {month_name!r} unknown")
        time = _year_nearest(MONTHS[month_name], int(day), clock, received, tz)
        host = (match["host"] or b"-").decode()
        app = match["tag"].decode()
        procid = (match["procid"] or b"-").decode()
        body = match["msg"].decode("utf-8", "replace")
        syntax = "rfc3164"
    pri = int(match["pri"])
    if pri > 191:
        raise ParseError(f"PRI {pri} is above 191")
    unmapped.update(
        {"facility": str(pri >> 3), "severity": str(pri & 7), "app_name": app, "procid": procid}
    )
    unmapped["syslog_syntax"] = syntax
    event: Event = {
        "time": time,
        "device_hostname": None if host == "-" else host,
        "severity_id": SYSLOG_SEVERITY[pri & 7],
        "product": None if app == "-" else app,
        "message": body,
        "unmapped": unmapped,
    }
    return event, body


def plain_syslog(event: Event) -> Event:
    """A syslog message of no known content: a Base Event, or Authentication for sshd."""
    message = event.get("message") or ""
    found = SSHD.search(message) if event.get("product") == "sshd" else None
    if found:
        ok = found["result"] == "Accepted"
        classify(event, 3002, 1, "Logon")
        event.update(
            user_name=found["user"],
            src_ip=found["ip"],
            src_port=as_port(found["port"]),
            auth_protocol=found["method"],
            status_id=1 if ok else 2,
            action="allowed" if ok else "denied",
            vendor="OpenBSD",
        )
        return event
    return classify(event, 0, 0, "Unknown")


PARSER = Parser(
    "syslog",
    "syslog RFC 5424 or RFC 3164 (CEF and FortiGate bodies recognised)",
    "text",
    lambda _body, header: plain_syslog(header),
    order=30,
    envelope=True,
)
