"""Warning lists: known-benign values that are stored but never alert.

Like MISP's warning lists: private and special-purpose address ranges, the wards' own
domains (every host name and mail domain in the asset register), popular domains (a
packaged list), the hashes of empty content, and whatever the settings add.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core.settings import Settings
from rengo.intel.patterns import Atom
from rengo.intel.settings import IntelSettings

SPECIAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "ff00::/8",
    )
)
"""RFC 1918 private, RFC 6598 shared, loopback, link-local, multicast, reserved."""

EMPTY_CONTENT_HASHES = {
    "d41d8cd98f00b204e9800998ecf8427e": "MD5 of empty content",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709": "SHA-1 of empty content",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "SHA-256 of empty content",
}


@cache
def popular_domains() -> frozenset[str]:
    text = resources.files("rengo.intel").joinpath("data/popular_domains.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def ward_domains(session: Session) -> frozenset[str]:
    """Every host name and mail domain the wards registered (their own infrastructure)."""
    names: set[str] = set()
    for hostnames, mail_domains in session.execute(select(Asset.hostnames, Asset.mail_domains)):
        names.update(h.lower() for h in hostnames or ())
        names.update(d.lower() for d in mail_domains or ())
    return frozenset(names)


def _in_domain(host: str, domains: frozenset[str]) -> str | None:
    parts = host.lower().rstrip(".").split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in domains:
            return candidate
    return host if host in domains else None


@dataclass(frozen=True, slots=True)
class WarningLists:
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    own_domains: frozenset[str]
    benign_domains: frozenset[str]

    @classmethod
    def load(cls, session: Session, settings: Settings) -> WarningLists:
        extra = tuple(
            ipaddress.ip_network(n, strict=False)
            for n in settings.section(IntelSettings).warning_networks
        )
        benign = popular_domains() | {
            d.lower() for d in settings.section(IntelSettings).warning_domains
        }
        return cls(SPECIAL_NETWORKS + extra, ward_domains(session), frozenset(benign))

    def reason(self, atom: Atom) -> str | None:
        """Why this value must never alert, or None when it may."""
        if atom.kind in ("ipv4", "ipv6", "cidr4", "cidr6"):
            network = ipaddress.ip_network(atom.value, strict=False)
            for special in self.networks:
                if network.version == special.version and network.subnet_of(special):  # type: ignore[arg-type]
                    return f"special-purpose or private range {special}"
            return None
        if atom.kind in ("md5", "sha1", "sha256", "sha512"):
            return EMPTY_CONTENT_HASHES.get(atom.value)
        host = ""
        if atom.kind == "domain":
            host = atom.value
        elif atom.kind == "url":
            host = (urlsplit(atom.value).hostname or "").lower()
        elif atom.kind == "email":
            host = atom.value.rpartition("@")[2]
        if not host:
            return None
        if (own := _in_domain(host, self.own_domains)) is not None:
            return f"a ward's own domain ({own})"
        if (popular := _in_domain(host, self.benign_domains)) is not None:
            return f"popular domain ({popular})"
        return None
