"""Each ward's three-layer segments (マイナンバー利用事務系, LGWAN接続系, インターネット接続系).

The asset register records, per ward, the address ranges of each segment. A rule that
tests ``%segment_<name>%`` asks whether an address lies in *the event's own ward's*
ranges of that segment — wards number their networks independently, so one ward's
LGWAN range may be another ward's internet segment.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from rengo.core.types import TenantCode

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WardSegments = dict[str, dict[str, list[str]]]
"""ward code → segment name → CIDR ranges."""


@lru_cache(maxsize=65536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class SegmentRanges:
    """``contains(ward, address, segment)`` over the register's ranges (bad ranges skipped)."""

    def __init__(self, ranges: WardSegments | None = None) -> None:
        self.ranges: WardSegments = ranges or {}
        self._networks: dict[tuple[str, str], list[Network]] = {}
        for ward, segments in self.ranges.items():
            for segment, cidrs in segments.items():
                networks = []
                for cidr in cidrs:
                    try:
                        networks.append(ipaddress.ip_network(cidr, strict=False))
                    except ValueError:
                        continue
                self._networks[(ward, segment)] = networks

    def __bool__(self) -> bool:
        return any(self._networks.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SegmentRanges) and self.ranges == other.ranges

    def contains(self, ward: TenantCode | None, address: str | None, segment: str) -> bool:
        networks = self._networks.get((ward or "", segment))
        if not networks or address is None:
            return False
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in networks)
