"""What a ward reports, as forms and API bodies (validated with the field that is wrong)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from rengo.intel.patterns import classify
from rengo.intel.tlp import parse_level


def _checked(values: list[str], kinds: set[str], label: str) -> list[str]:
    """Normalised values, or ValueError naming the first one that is not ``label``."""
    out = []
    for value in values:
        atom = classify(value)
        if atom is None or atom.kind not in kinds:
            raise ValueError(f"{value!r} is not {label}")
        out.append(atom.value)
    return out


ADDRESS_KINDS = {"ipv4", "ipv6", "cidr4", "cidr6"}
HASH_KINDS = {"md5", "sha1", "sha256", "sha512"}
ANY_KIND = ADDRESS_KINDS | HASH_KINDS | {"domain", "url", "email"}


class ReportBase(BaseModel):
    title: str = Field(min_length=3, max_length=300, description="A short title of what was seen.")
    description: str = Field("", max_length=20_000, description="What happened, in free text.")
    observed_at: datetime | None = Field(None, description="When it was seen (default: now).")
    tlp: str = Field("green", description="TLP 2.0 level: clear, green, amber, amber+strict, red.")
    reporter: str = Field("", max_length=200, description="Who reported it (never shared).")

    @field_validator("tlp")
    @classmethod
    def _level(cls, value: str) -> str:
        return parse_level(value).value


class PhishingReport(ReportBase):
    kind: Literal["phishing"] = "phishing"
    sender: str = Field(description="The sender's address (From).")
    subject: str = Field("", max_length=1000)
    recipients: list[str] = Field([], description="Staff addresses it was sent to (never shared).")
    urls: list[str] = Field([], description="Links in the mail.")
    attachment_hashes: list[str] = Field([], description="MD5, SHA-1 or SHA-256 of attachments.")
    attachment_names: list[str] = Field([], description="File names of attachments.")

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _checked([value], {"email"}, "an e-mail address")[0]

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return _checked(values, {"email"}, "an e-mail address")

    @field_validator("urls")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        return _checked(values, {"url"}, "a URL (http://…)")

    @field_validator("attachment_hashes")
    @classmethod
    def _hashes(cls, values: list[str]) -> list[str]:
        return _checked(values, HASH_KINDS, "an MD5, SHA-1 or SHA-256 hash")


class AccessReport(ReportBase):
    kind: Literal["access"] = "access"
    source_addresses: list[str] = Field(min_length=1, description="Where the access came from.")
    accounts: list[str] = Field([], description="Accounts targeted (never shared, only counted).")
    user_agents: list[str] = Field([], description="User-Agent strings seen.")
    target: str = Field("", max_length=300, description="The system that was targeted (internal).")
    technique: str = Field("", max_length=100, description="e.g. password spraying, VPN exploit.")

    @field_validator("source_addresses")
    @classmethod
    def _sources(cls, values: list[str]) -> list[str]:
        return _checked(values, ADDRESS_KINDS, "an IP address or range")


class VulnerabilityReport(ReportBase):
    kind: Literal["vulnerability"] = "vulnerability"
    cve: str = Field(pattern=r"^CVE-\d{4}-\d{4,}$", description="CVE id, e.g. CVE-2024-3400.")
    product: str = Field(min_length=1, max_length=200)
    vendor: str = Field("", max_length=200)
    version: str = Field("", max_length=100)
    exploited: bool = Field(False, description="Seen exploited in the wild or at the ward.")


class IndicatorList(ReportBase):
    """Indicator values straight from a CSIRT incident (or any list)."""

    kind: Literal["incident"] = "incident"
    incident_ref: str = Field("", max_length=100, description="The CSIRT incident it came from.")
    values: list[str] = Field(min_length=1, description="IPs, domains, URLs, hashes, addresses.")

    @field_validator("values")
    @classmethod
    def _values(cls, values: list[str]) -> list[str]:
        return _checked(values, ANY_KIND, "an IP, domain, URL, hash or e-mail address")


class BundleSubmission(BaseModel):
    kind: Literal["bundle"] = "bundle"
    title: str = Field(min_length=3, max_length=300)
    tlp: str = Field("green", description="Applied to objects that carry no TLP marking.")
    bundle: dict[str, Any] = Field(description="A STIX 2.1 bundle of what the ward saw.")

    @field_validator("tlp")
    @classmethod
    def _level(cls, value: str) -> str:
        return parse_level(value).value


AnyReport = PhishingReport | AccessReport | VulnerabilityReport | IndicatorList | BundleSubmission
