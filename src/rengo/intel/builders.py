"""STIX 2.1 objects from what a ward reports (built with the OASIS ``stix2`` library).

The result is the *original*: it names the ward and everything it saw. The anonymiser
makes the shareable version from it.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import stix2

from rengo.core.types import TenantCode
from rengo.core.wards import ward_by_code
from rengo.intel import patterns, timestamps
from rengo.intel.collections import NAMESPACE
from rengo.intel.schemas import AccessReport, IndicatorList, PhishingReport, VulnerabilityReport
from rengo.intel.tlp import TLP, marking_definition

KIND_NAMES = {
    "ipv4": "IP address",
    "ipv6": "IPv6 address",
    "cidr4": "address range",
    "cidr6": "IPv6 range",
    "domain": "domain",
    "url": "URL",
    "email": "e-mail address",
    "md5": "MD5",
    "sha1": "SHA-1",
    "sha256": "SHA-256",
    "sha512": "SHA-512",
}


def ward_identity_id(ward: TenantCode) -> str:
    return f"identity--{uuid.uuid5(NAMESPACE, 'ward-identity:' + ward)}"


def _plain(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(obj.serialize())
    return data


class Builder:
    """Collects the objects of one report, all created by the ward and marked with its TLP."""

    def __init__(self, ward: TenantCode, level: TLP, now: datetime) -> None:
        self.ward, self.level, self.now = ward, level, now
        self.stamp = timestamps.stix(now)
        self.identity = ward_identity_id(ward)
        info = ward_by_code(ward)
        self.objects: list[dict[str, Any]] = [
            {
                "type": "identity",
                "spec_version": "2.1",
                "id": self.identity,
                "created": self.stamp,
                "modified": self.stamp,
                "name": info.name_ja,
                "identity_class": "organization",
                "sectors": ["government-local"],
                "object_marking_refs": [level.marking_id],
            },
            marking_definition(level),
        ]

    def common(self) -> dict[str, Any]:
        return {
            "created_by_ref": self.identity,
            "created": self.stamp,
            "modified": self.stamp,
            "object_marking_refs": [self.level.marking_id],
        }

    def add(self, obj: Any) -> str:
        data = obj if isinstance(obj, dict) else _plain(obj)
        self.objects.append(data)
        return str(data["id"])

    def sco(self, cls: Any, **props: Any) -> str:
        return self.add(cls(object_marking_refs=[self.level.marking_id], **props))

    def indicator(self, kind: str, value: str, context: str, types: list[str]) -> str:
        return self.add(
            stix2.v21.Indicator(
                name=f"{KIND_NAMES.get(kind, kind)} {value} ({context})",
                pattern=patterns.pattern_for(kind, value),
                pattern_type="stix",
                valid_from=self.stamp,
                indicator_types=types,
                allow_custom=False,
                **self.common(),
            )
        )

    def observed(self, refs: list[str], first: datetime) -> str | None:
        if not refs:
            return None
        stamp = timestamps.stix(first)
        return self.add(
            stix2.v21.ObservedData(
                first_observed=stamp,
                last_observed=stamp,
                number_observed=1,
                object_refs=refs,
                **self.common(),
            )
        )

    def report(self, title: str, description: str, types: list[str]) -> None:
        refs = [
            o["id"] for o in self.objects if o["type"] not in ("identity", "marking-definition")
        ]
        self.add(
            stix2.v21.Report(
                name=title,
                description=description or title,
                published=self.stamp,
                report_types=types,
                object_refs=refs,
                **self.common(),
            )
        )


def _address_sco(value: str, builder: Builder) -> str:
    atom = patterns.classify(value)
    cls = (
        stix2.v21.IPv6Address if atom and atom.kind in ("ipv6", "cidr6") else stix2.v21.IPv4Address
    )
    return builder.sco(cls, value=value)


def phishing(report: PhishingReport, ward: TenantCode, now: datetime) -> list[dict[str, Any]]:
    b = Builder(ward, TLP(report.tlp), now)
    sender = b.sco(stix2.v21.EmailAddress, value=report.sender)
    recipients = [b.sco(stix2.v21.EmailAddress, value=r) for r in report.recipients]
    message_props: dict[str, Any] = {"is_multipart": False, "from_ref": sender}
    if recipients:
        message_props["to_refs"] = recipients
    if report.subject:
        message_props["subject"] = report.subject
    message = b.sco(stix2.v21.EmailMessage, **message_props)
    refs = [message]
    b.indicator("email", report.sender, "phishing sender", ["malicious-activity"])
    for url in report.urls:
        refs.append(b.sco(stix2.v21.URL, value=url))
        b.indicator("url", url, "link in a phishing mail", ["malicious-activity"])
    for i, digest in enumerate(report.attachment_hashes):
        atom = patterns.classify(digest)
        kind = atom.kind if atom else "sha256"
        algorithm = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}[kind]
        name = report.attachment_names[i] if i < len(report.attachment_names) else None
        props: dict[str, Any] = {"hashes": {algorithm: digest}}
        if name:
            props["name"] = name
        refs.append(b.sco(stix2.v21.File, **props))
        b.indicator(kind, digest, f"attachment {name or ''}".strip(), ["malicious-activity"])
    b.observed(refs, report.observed_at or now)
    text = report.description or f"Suspicious mail from {report.sender}: {report.subject}"
    b.report(report.title, text, ["threat-report"])
    return b.objects


def access(report: AccessReport, ward: TenantCode, now: datetime) -> list[dict[str, Any]]:
    b = Builder(ward, TLP(report.tlp), now)
    refs = []
    for address in report.source_addresses:
        refs.append(_address_sco(address, b))
        atom = patterns.classify(address)
        b.indicator(
            atom.kind if atom else "ipv4",
            address,
            "unauthorised access source",
            ["malicious-activity"],
        )
    for account in report.accounts:
        refs.append(b.sco(stix2.v21.UserAccount, account_login=account))
    for agent in report.user_agents:
        escaped = agent.replace("\\", "\\\\").replace("'", "\\'")
        b.add(
            stix2.v21.Indicator(
                name=f"User-Agent of unauthorised access: {agent[:120]}",
                pattern=(
                    "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' "
                    f"= '{escaped}']"
                ),
                pattern_type="stix",
                valid_from=b.stamp,
                indicator_types=["anomalous-activity"],
                **b.common(),
            )
        )
    b.observed(refs, report.observed_at or now)
    lines = [report.description] if report.description else []
    if report.technique:
        lines.append(f"Technique: {report.technique}")
    if report.accounts:
        lines.append(f"Accounts targeted: {len(report.accounts)}")
    if report.target:
        lines.append(f"Target: {report.target}")
    b.report(report.title, "\n".join(lines) or report.title, ["attack-pattern", "indicator"])
    return b.objects


def vulnerability(
    report: VulnerabilityReport, ward: TenantCode, now: datetime
) -> list[dict[str, Any]]:
    b = Builder(ward, TLP(report.tlp), now)
    b.add(
        stix2.v21.Vulnerability(
            name=report.cve,
            description=report.description or f"{report.cve} in {report.product}",
            external_references=[{"source_name": "cve", "external_id": report.cve}],
            **b.common(),
        )
    )
    props: dict[str, Any] = {"name": report.product}
    if report.vendor:
        props["vendor"] = report.vendor
    if report.version:
        props["version"] = report.version
    b.sco(stix2.v21.Software, **props)
    state = "exploited" if report.exploited else "not known to be exploited"
    text = f"{report.cve} affects {report.product} {report.version} ({state}). {report.description}"
    b.report(report.title, text.strip(), ["vulnerability"])
    return b.objects


def indicator_list(report: IndicatorList, ward: TenantCode, now: datetime) -> list[dict[str, Any]]:
    b = Builder(ward, TLP(report.tlp), now)
    context = f"incident {report.incident_ref}" if report.incident_ref else "reported by a ward"
    for value in report.values:
        atom = patterns.classify(value)
        if atom is not None:
            b.indicator(atom.kind, atom.value, context, ["malicious-activity"])
    b.report(report.title, report.description or report.title, ["indicator"])
    return b.objects
