"""Indicators of compromise found in alerts and notes: IPs, domains, URLs, mail senders,
file hashes — kept per incident, ready for the intelligence hub.

Defanged forms (``hxxp://``, ``evil[.]example``, ``1.2.3[.]4``) are refanged first.
Private and reserved addresses are kept but marked ``internal``: they identify a ward's
own hosts and must never leave the incident (the hub anonymises; this marks).

``incident_indicators(session, principal, incident_id)`` is the interface ``rengo.intel``
reads.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.csirt.models import Indicator

KINDS = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256")

# Top-level domains the extractor accepts: a closed list keeps file names (report.pdf)
# and code (obj.method) out of the domain indicators.
_TLDS = (
    "com|net|org|info|biz|io|co|jp|cn|ru|kr|tw|hk|uk|de|fr|nl|us|xyz|top|site|online|club|"
    "shop|app|dev|cloud|link|live|tk|ml|ga|cf|gq|pw|cc|me|tv|ws|su|in|br|vn|id|th|invalid|"
    "example|test|onion|lg"
)
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'\]\[)(]+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b")
_DOMAIN = re.compile(
    rf"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{_TLDS})\b", re.IGNORECASE
)
_IPV4 = re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_HASHES = (
    ("sha256", re.compile(r"\b[A-Fa-f0-9]{64}\b")),
    ("sha1", re.compile(r"\b[A-Fa-f0-9]{40}\b")),
    ("md5", re.compile(r"\b[A-Fa-f0-9]{32}\b")),
)
_REFANG = (
    (re.compile(r"hxxp", re.IGNORECASE), "http"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}"), "."),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[@\]|\(at\)|\[at\]", re.IGNORECASE), "@"),
)


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    value: str
    internal: bool


def refang(text: str) -> str:
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


# Networks that name a ward's own hosts (RFC 1918, shared CGNAT space, loopback,
# link-local, unique-local IPv6). Documentation ranges are not among them on purpose.
_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


def is_internal_address(value: str) -> bool:
    address = ipaddress.ip_address(value)
    return any(address.version == n.version and address in n for n in _INTERNAL_NETWORKS)


def normalise(kind: str, value: str) -> Found:
    """Canonical form of one indicator; raises ``ValueError`` if it is not one."""
    value = refang(value.strip())
    if kind in ("ipv4", "ipv6"):
        address = ipaddress.ip_address(value)
        kind = "ipv4" if address.version == 4 else "ipv6"
        return Found(kind, str(address), is_internal_address(str(address)))
    if kind in ("domain", "email"):
        value = value.lower().rstrip(".")
        pattern = _EMAIL if kind == "email" else _DOMAIN
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not a {kind}")
        return Found(kind, value, value.endswith(".lg.jp") or value.endswith(".local"))
    if kind == "url":
        if not _URL.fullmatch(value):
            raise ValueError(f"{value!r} is not a URL")
        return Found(kind, value, False)
    if kind in ("md5", "sha1", "sha256"):
        lengths = {"md5": 32, "sha1": 40, "sha256": 64}
        if not re.fullmatch(rf"[A-Fa-f0-9]{{{lengths[kind]}}}", value):
            raise ValueError(f"{value!r} is not a {kind}")
        return Found(kind, value.lower(), False)
    raise ValueError(f"unknown indicator kind {kind!r}")


def extract(text: str) -> list[Found]:
    """Every indicator in free text, in order of appearance, without repeats."""
    text = refang(text)
    found: dict[tuple[str, str], Found] = {}

    def keep(kind: str, value: str) -> None:
        try:
            item = normalise(kind, value)
        except ValueError:
            return
        found.setdefault((item.kind, item.value), item)

    urls = [m.group(0).rstrip(".,;") for m in _URL.finditer(text)]
    for url in urls:
        keep("url", url)
    without_urls = _URL.sub(" ", text)
    emails = [m.group(0) for m in _EMAIL.finditer(without_urls)]
    for email in emails:
        keep("email", email)
    rest = _EMAIL.sub(" ", without_urls)
    for m in _IPV4.finditer(rest):
        keep("ipv4", m.group(0))
    for m in _IPV6.finditer(rest):
        keep("ipv6", m.group(0))
    for m in _DOMAIN.finditer(_IPV4.sub(" ", rest)):
        keep("domain", m.group(0))
    taken: set[str] = set()
    for kind, pattern in _HASHES:
        for m in pattern.finditer(rest):
            if m.group(0).lower() not in taken:
                taken.add(m.group(0).lower())
                keep(kind, m.group(0))
    return list(found.values())


def record(
    session: Session, incident_id: int, items: list[Found], source: str, now: datetime
) -> int:
    """Add indicators not yet on the incident; returns how many were new."""
    existing = {
        (kind, value)
        for kind, value in session.execute(
            select(Indicator.kind, Indicator.value).where(Indicator.incident_id == incident_id)
        )
    }
    added = 0
    for item in items:
        if (item.kind, item.value) in existing:
            continue
        existing.add((item.kind, item.value))
        session.add(
            Indicator(
                incident_id=incident_id,
                kind=item.kind,
                value=item.value[:2048],
                source=source[:64],
                internal=item.internal,
                first_seen_at=now,
            )
        )
        added += 1
    session.flush()
    return added


def listed(session: Session, incident_id: int) -> list[Indicator]:
    return list(
        session.scalars(
            select(Indicator)
            .where(Indicator.incident_id == incident_id)
            .order_by(Indicator.kind, Indicator.value)
        )
    )
