"""FortiGate (FortiOS) key=value logs: traffic, UTM (web filter, DNS, IPS, AV, app
control) and event logs (SSL-VPN and admin/user logins).

The FortiOS log reference names every field; values are bare or double-quoted. Time is
``eventtime`` (epoch, s/ms/µs/ns) when present, else ``date``+``time`` in ``tz``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from rengo.soc.parsers.common import (
    JST,
    SEVERITY_BY_NAME,
    Event,
    ParseError,
    as_int,
    as_port,
    classify,
    clean,
    epoch_to_time,
)
from rengo.soc.parsers.registry import Parser

PAIR = re.compile(r'([A-Za-z0-9_]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')
LOCAL_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})")
TZ_OFFSET = re.compile(r"[+-]\d{4}")
PROTOCOLS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6"}
BLOCKING = {"deny", "block", "blocked", "dropped", "close", "reset", "timeout"}
VPN_FAILURES = {"ssl-login-fail", "tunnel-down-fail", "negotiate-error"}


def parse_pairs(text: str) -> dict[str, str]:
    fields = {}
    for key, quoted, bare in PAIR.findall(text):
        if quoted:
            fields[key] = quoted.replace('\\"', '"') if "\\" in quoted else quoted
        else:
            fields[key] = bare
    return fields


def looks_like_fortigate(text: str) -> bool:
    return "logid=" in text and ("devid=" in text or "devname=" in text)


def _time(fields: dict[str, str]) -> datetime:
    if "eventtime" in fields and fields["eventtime"].isdigit():
        return epoch_to_time(int(fields["eventtime"]))
    if "date" in fields and "time" in fields:
        tz: timezone = JST
        offset = fields.get("tz", "")
        if TZ_OFFSET.fullmatch(offset):
            sign = 1 if offset[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:])))
        return _local_time(fields["date"], fields["time"], tz)
    raise ParseError("FortiGate log has neither eventtime= nor date= and time=")


@lru_cache(maxsize=4096)  # a busy firewall logs many events in the same second
def _local_time(day: str, clock: str, tz: timezone) -> datetime:
    found = LOCAL_TIME.fullmatch(f"{day} {clock}")
    try:
        if found is None:
            raise ValueError("not YYYY-MM-DD HH:MM:SS")
        year, month, day_, hour, minute, second = (int(part) for part in found.groups())
        local = datetime(year, month, day_, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise ParseError(f"date={day!r} time={clock!r} unreadable") from exc
    return local.astimezone(UTC)


def parse_fortigate(text: str, base: Event | None = None) -> Event:
    fields = parse_pairs(text)
    if "logid" not in fields or "type" not in fields:
        raise ParseError("FortiGate log lacks logid= or type=")
    event: Event = dict(base or {})
    unmapped = dict(event.get("unmapped") or {})
    unmapped.update(fields)
    kind, subtype = fields["type"], fields.get("subtype", "")
    action = clean(fields.get("action")) or clean(fields.get("utmaction"))
    event.update(
        time=_time(fields),
        vendor="Fortinet",
        product="FortiGate",
        event_code=fields["logid"],
        device_hostname=clean(fields.get("devname")) or event.get("device_hostname"),
        severity_id=SEVERITY_BY_NAME.get(fields.get("level", "").lower(), 1),
        message=clean(fields.get("msg")) or clean(fields.get("logdesc")) or event.get("message"),
        src_ip=clean(fields.get("srcip")) or clean(fields.get("remip")),
        src_port=as_port(fields.get("srcport")),
        src_country=clean(fields.get("srccountry")),
        dst_ip=clean(fields.get("dstip")) or clean(fields.get("tunnelip")),
        dst_port=as_port(fields.get("dstport")),
        protocol=PROTOCOLS.get(fields.get("proto", ""), clean(fields.get("service"))),
        action=action,
        user_name=clean(fields.get("user")) or clean(fields.get("srcuser")),
        bytes_out=as_int(fields.get("sentbyte")),
        bytes_in=as_int(fields.get("rcvdbyte")),
        unmapped=unmapped,
    )
    if kind == "traffic":
        classify(event, 4001, 6, "Traffic")
        event["status_id"] = 2 if (action or "") in BLOCKING else 1
    elif kind == "utm" and subtype == "webfilter":
        classify(event, 4002, 1, "Connect")
        hostname, url = clean(fields.get("hostname")), clean(fields.get("url"))
        event["url"] = f"{hostname}{url}" if hostname and url and url.startswith("/") else url
        event["http_method"] = clean(fields.get("reqtype"))
    elif kind == "utm" and subtype == "dns":
        classify(event, 4003, 1, "Query")
        event["dns_query"] = clean(fields.get("qname"))
    elif kind == "utm":
        classify(event, 2004, 1, "Create")
        event["file_path"] = clean(fields.get("filename"))
        event["url"] = clean(fields.get("url"))
    elif kind == "event" and (subtype in ("vpn", "user") or "login" in (action or "")):
        logout = action is not None and ("logout" in action or action == "tunnel-down")
        classify(event, 3002, 2 if logout else 1, "Logoff" if logout else "Logon")
        failed = (
            (action or "") in VPN_FAILURES
            or "fail" in (action or "")
            or (fields.get("status") == "failure")
        )
        event["status_id"] = 2 if failed else 1
        event["auth_protocol"] = clean(fields.get("tunneltype"))
    else:
        classify(event, 0, 0, "Unknown")
    return event


PARSER = Parser(
    "fortigate",
    "FortiGate key=value (traffic, UTM, event/SSL-VPN)",
    "text",
    parse_fortigate,
    sniff=looks_like_fortigate,
    in_syslog=looks_like_fortigate,
    order=50,
)
