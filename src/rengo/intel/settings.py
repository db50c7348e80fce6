"""The threat-intelligence hub's settings section (``[intel]``, ``RENGO_INTEL__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core import settings


@settings.section("intel")
class IntelSettings(BaseModel):
    """The threat-intelligence hub (STIX 2.1 / TAXII 2.1, TLP 2.0)."""

    retro_hunt_days: int = Field(
        90, description="A new indicator is hunted in this many past days of every ward's events."
    )
    taxii_page_max: int = Field(
        1000, description="Most objects a TAXII page returns, whatever limit the client asks for."
    )
    taxii_max_content_length: int = Field(
        104_857_600, description="Largest TAXII request body accepted, in bytes."
    )
    joint_identity_name: str = Field(
        "特別区共同脅威情報共有センター (Tokyo Special Wards Joint Threat Intelligence Centre)",
        description="Name of the joint centre's STIX identity; it replaces every submitter.",
    )
    feed_default_tlp: str = Field(
        "green", description="TLP given to imported objects that carry no TLP marking."
    )
    feed_poll_seconds: float = Field(
        60.0, description="How often the web server checks whether a feed is due to be pulled."
    )
    feed_scheduler: bool = Field(
        True,
        description="Pull scheduled feeds and match new events in the web server's background.",
    )
    match_poll_seconds: float = Field(
        10.0, description="How often new events in the SOC lake are matched against indicators."
    )
    warning_domains: list[str] = Field(
        [],
        description="Extra known-benign domains (and their sub-domains) that never alert, "
        "besides the packaged popular domains and the wards' own domains.",
    )
    warning_networks: list[str] = Field(
        [], description="Extra known-benign CIDR ranges that never alert, besides private ranges."
    )
    publish_target_hours: float = Field(
        24.0, description="Target: hours from a ward's submission to its publication, at most."
    )
    advisory_applied_target_pct: float = Field(
        100.0, description="Target: share of wards that applied each advisory's countermeasure."
    )
