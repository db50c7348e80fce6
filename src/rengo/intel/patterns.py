"""STIX patterns: validate them and pull out the values that can be matched against events.

The common shape of shared indicators — one or more equality comparisons joined by OR,
e.g. ``[ipv4-addr:value = '198.51.100.7']`` — is recognised by a strict regular
expression (a few microseconds); anything else goes through the OASIS grammar
(``stix2-patterns``, about 0.3 ms a pattern). Results are cached per pattern text.

Only what can be matched exactly becomes an *atom*: comparisons joined by OR, and file
hashes even under AND (a hash alone identifies the file). Patterns with MATCHES, LIKE,
qualifiers or AND over other properties are valid but not matched against events.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from stix2patterns.v21.pattern import Pattern

# Kinds of matchable values, and the object paths that carry them.
HASH_PATHS = {
    "hashes.md5": "md5",
    "hashes.'md5'": "md5",
    "hashes.sha1": "sha1",
    "hashes.'sha1'": "sha1",
    "hashes.'sha-1'": "sha1",
    "hashes.sha256": "sha256",
    "hashes.'sha256'": "sha256",
    "hashes.'sha-256'": "sha256",
    "hashes.sha512": "sha512",
    "hashes.'sha-512'": "sha512",
}
EMAIL_PATHS = {
    ("email-addr", "value"),
    ("email-message", "from_ref.value"),
    ("email-message", "sender_ref.value"),
    ("email-message", "to_refs[*].value"),
}
USER_AGENT_PATH = "extensions.'http-request-ext'.request_header.'user-agent'"
ADDRESS_PATHS = {
    ("network-traffic", "dst_ref.value"),
    ("network-traffic", "src_ref.value"),
}


@dataclass(frozen=True, slots=True)
class Atom:
    """One value an indicator matches: its kind ('ipv4', 'cidr4', 'domain', 'url', …)."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class ParsedPattern:
    error: str | None
    atoms: tuple[Atom, ...]


_STRING = r"'(?:[^'\\]|\\.)*'"
_COMPARISON = rf"\s*([a-z0-9][a-z0-9-]*):([A-Za-z0-9_.\-'\[\]*]+)\s*=\s*({_STRING})\s*"
_SIMPLE = re.compile(
    rf"^\s*\[{_COMPARISON}(?:OR{_COMPARISON})*\]\s*(?:OR\s*\[{_COMPARISON}(?:OR{_COMPARISON})*\]\s*)*$"
)
_ONE = re.compile(_COMPARISON)


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


def _address_atom(value: str) -> Atom | None:
    try:
        if "/" in value:
            network = ipaddress.ip_network(value, strict=False)
            if network.num_addresses == 1:
                return Atom(f"ipv{network.version}", str(network.network_address))
            return Atom(f"cidr{network.version}", str(network))
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return Atom(f"ipv{address.version}", str(address))


def atom_for(object_type: str, path: str, value: str) -> Atom | None:
    """The matchable atom of ``object_type:path = value``, normalised; ``None`` if not matchable."""
    path_key = path.lower()
    value = value.strip()
    if not value:
        return None
    if object_type in ("ipv4-addr", "ipv6-addr") and path_key == "value":
        return _address_atom(value)
    if (object_type, path_key) in ADDRESS_PATHS:
        return _address_atom(value)
    if object_type == "domain-name" and path_key == "value":
        return Atom("domain", value.lower().rstrip("."))
    if object_type == "url" and path_key == "value":
        return Atom("url", normalise_url(value))
    if object_type in ("file", "artifact") and path_key in HASH_PATHS:
        return Atom(HASH_PATHS[path_key], value.lower())
    if (object_type, path_key) in EMAIL_PATHS:
        return Atom("email", value.lower())
    if object_type == "network-traffic" and path_key == USER_AGENT_PATH:
        return Atom("user_agent", value)
    return None


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, a bare trailing slash dropped: how events are compared."""
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)(.*)$", url.strip())
    if not match:
        return url.strip()
    scheme, host, rest = match.groups()
    if rest == "/":
        rest = ""
    return f"{scheme.lower()}://{host.lower()}{rest}"


def _has_and_outside_strings(pattern: str) -> bool:
    without_strings = re.sub(_STRING, "''", pattern)
    return re.search(r"\bAND\b", without_strings) is not None


@lru_cache(maxsize=65_536)
def parse(pattern: str) -> ParsedPattern:
    """Validate a STIX 2.1 pattern; return its error (or ``None``) and its matchable atoms."""
    if _SIMPLE.match(pattern):
        atoms = []
        for object_type, path, literal in _ONE.findall(pattern):
            atom = atom_for(object_type, path, _unquote(literal))
            if atom is not None:
                atoms.append(atom)
        return ParsedPattern(None, tuple(dict.fromkeys(atoms)))
    try:
        inspected = Pattern(pattern).inspect()
    except Exception as exc:  # the grammar raises its own ParseException with the position
        return ParsedPattern(str(exc), ())
    if inspected.qualifiers or inspected.observation_ops - {"OR"}:
        return ParsedPattern(None, ())
    only_hashes = _has_and_outside_strings(pattern)
    atoms = []
    for object_type, comparisons in inspected.comparisons.items():
        for path_parts, operator, literal in comparisons:
            path = ".".join(
                str(p) if not isinstance(p, str) or p.isidentifier() else f"'{p}'"
                for p in path_parts
            )
            values: list[str] = []
            if (operator == "=" and isinstance(literal, str) and literal.startswith("'")) or (
                operator == "ISSUBSET" and isinstance(literal, str) and literal.startswith("'")
            ):
                values = [_unquote(literal)]
            elif operator == "IN" and isinstance(literal, str):
                values = [_unquote(v) for v in re.findall(_STRING, literal)]
            for value in values:
                atom = atom_for(object_type, path, value)
                if atom is None or (
                    only_hashes and atom.kind not in ("md5", "sha1", "sha256", "sha512")
                ):
                    continue
                atoms.append(atom)
    return ParsedPattern(None, tuple(dict.fromkeys(atoms)))


def pattern_for(kind: str, value: str) -> str:
    """The STIX pattern of one value (for indicators built from forms, CSV and MISP)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    path = {
        "ipv4": "ipv4-addr:value",
        "cidr4": "ipv4-addr:value",
        "ipv6": "ipv6-addr:value",
        "cidr6": "ipv6-addr:value",
        "domain": "domain-name:value",
        "url": "url:value",
        "md5": "file:hashes.MD5",
        "sha1": "file:hashes.'SHA-1'",
        "sha256": "file:hashes.'SHA-256'",
        "sha512": "file:hashes.'SHA-512'",
        "email": "email-addr:value",
    }[kind]
    return f"[{path} = '{escaped}']"


HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def classify(value: str) -> Atom | None:
    """Guess what a bare value is (CSV lists, form fields): address, hash, URL, e-mail, domain."""
    text = value.strip().strip("\ufeff")
    if not text:
        return None
    address = _address_atom(text)
    if address is not None:
        return address
    if _HEX.match(text) and len(text) in HASH_LENGTHS:
        return Atom(HASH_LENGTHS[len(text)], text.lower())
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        return Atom("url", normalise_url(text))
    if _EMAIL.match(text):
        return Atom("email", text.lower())
    lowered = text.lower().rstrip(".")
    if _DOMAIN.match(lowered):
        return Atom("domain", lowered)
    return None
