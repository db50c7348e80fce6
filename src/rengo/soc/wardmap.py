"""Which ward a syslog sender belongs to: a file of networks (or hosts) and ward codes.

One mapping a line, ``#`` starts a comment::

    10.16.0.0/16      131016     # 千代田区's networks
    192.0.2.10        千代田区    # a ward's name works too
    fw01.minato.local 131032     # the syslog HOSTNAME field (for relays)

A message's syslog HOSTNAME is looked up first (a relay forwards many wards' devices),
without regard to case; else the sender's address, where the longest matching network
wins. A message that matches nothing is quarantined with the reason, never silently
dropped.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from rengo.core.errors import InvalidInput, Problem
from rengo.core.wards import JOINT, MunicipalCodeError, parse_tenant

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass
class WardMap:
    networks: list[tuple[Network, str]] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str, origin: str = "ward map") -> WardMap:
        result = cls()
        problems = []
        for number, line in enumerate(text.splitlines(), 1):
            content = line.split("#", 1)[0].strip()
            if not content:
                continue
            parts = content.split()
            if len(parts) != 2:
                problems.append(
                    Problem("expected '<network or host> <ward>'", f"{origin}:{number}")
                )
                continue
            where, ward_text = parts
            try:
                ward = parse_tenant(ward_text)
                if ward == JOINT:
                    raise MunicipalCodeError("the joint centre is not a ward")
            except MunicipalCodeError as exc:
                problems.append(Problem(str(exc), f"{origin}:{number}"))
                continue
            try:
                result.networks.append((ipaddress.ip_network(where, strict=False), ward))
            except ValueError:
                result.hosts[where.lower()] = ward
        if problems:
            raise InvalidInput("the ward map has errors", problems)
        result.networks.sort(key=lambda item: item[0].prefixlen, reverse=True)
        return result

    @classmethod
    def load(cls, path: Path) -> WardMap:
        return cls.parse(path.read_text("utf-8"), str(path))

    def ward_for(self, address: str, hostname: str | None = None) -> str | None:
        if hostname and hostname.lower() in self.hosts:
            return self.hosts[hostname.lower()]
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return self.hosts.get(address.lower())
        for network, ward in self.networks:
            if ip.version == network.version and ip in network:
                return ward
        return None
