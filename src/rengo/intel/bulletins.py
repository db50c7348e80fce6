"""Public bulletins to STIX 2.1: advisory feeds (RSS 1.0/2.0, Atom) and CISA's KEV catalogue.

An RSS or Atom item is a STIX ``report`` (title, summary, date, link) referring to the
publisher's ``identity``; a KEV entry is a ``vulnerability`` named by its CVE, with the
required action and due date in its description. Ids derive from the link or the CVE, so
a bulletin read again is the same object. An item without a title or a link, or a KEV
entry without a CVE id, is a problem naming its place (``file: item 3``).
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from rengo.core.errors import Problem
from rengo.intel import timestamps
from rengo.intel.collections import NAMESPACE
from rengo.intel.formats import Parsed
from rengo.intel.tlp import TLP

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _identity(name: str, level: TLP, now: datetime) -> dict[str, Any]:
    stamp = timestamps.stix(now)
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid.uuid5(NAMESPACE, f'publisher:{name}')}",
        "created": stamp,
        "modified": stamp,
        "name": name,
        "identity_class": "organization",
        "object_marking_refs": [level.marking_id],
    }


def parse_rss(data: bytes, source: str, publisher: str, level: TLP, now: datetime) -> Parsed:
    """Items of an RSS 1.0 (RDF), RSS 2.0 or Atom feed as STIX reports."""
    out = Parsed()
    if b"<!DOCTYPE" in data[:4096].upper():
        out.problems.append((Problem("a DOCTYPE is not accepted in a feed", source), ""))
        return out
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DOCTYPE (checked above): no entities
    except ET.ParseError as exc:
        out.problems.append(
            (Problem(f"not XML: {exc}", source), data[:2000].decode("utf-8", "replace"))
        )
        return out
    items = root.findall(".//item") + root.findall(f".//{RSS1}item") + root.findall(f"{ATOM}entry")
    identity = _identity(publisher, level, now)
    out.objects.append(identity)
    for index, item in enumerate(items, start=1):
        title = _text(item.find("title")) or _text(item.find(f"{RSS1}title"))
        title = title or _text(item.find(f"{ATOM}title"))
        link = _text(item.find("link")) or _text(item.find(f"{RSS1}link"))
        atom_link = item.find(f"{ATOM}link")
        if not link and atom_link is not None:
            link = atom_link.get("href", "")
        summary = (
            _text(item.find("description"))
            or _text(item.find(f"{RSS1}description"))
            or _text(item.find(f"{ATOM}summary"))
        )
        published = (
            _when(_text(item.find("pubDate")))
            or _when(_text(item.find(f"{DC}date")))
            or _when(_text(item.find(f"{ATOM}updated")))
            or _when(_text(item.find(f"{ATOM}published")))
        )
        if not title or not link:
            out.problems.append(
                (
                    Problem("an item needs a title and a link", f"{source}: item {index}"),
                    ET.tostring(item, encoding="unicode")[:2000],
                )
            )
            continue
        stamp = timestamps.stix(published or now)
        report: dict[str, Any] = {
            "type": "report",
            "spec_version": "2.1",
            "id": f"report--{uuid.uuid5(NAMESPACE, f'bulletin:{link}')}",
            "created": stamp,
            "modified": stamp,
            "name": title[:300],
            "published": stamp,
            "report_types": ["threat-report"],
            "object_refs": [identity["id"]],
            "external_references": [{"source_name": publisher, "url": link}],
            "object_marking_refs": [level.marking_id],
        }
        if summary:
            report["description"] = summary[:10_000]
        out.objects.append(report)
    return out


def parse_kev(data: bytes, source: str, level: TLP, now: datetime) -> Parsed:
    """CISA's Known Exploited Vulnerabilities catalogue (JSON) as STIX vulnerabilities."""
    out = Parsed()
    try:
        document = json.loads(data)
        entries = document["vulnerabilities"]
        if not isinstance(entries, list):
            raise TypeError("vulnerabilities is not a list")
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        out.problems.append(
            (
                Problem(f"not a KEV catalogue: {exc}", source),
                data[:2000].decode("utf-8", "replace"),
            )
        )
        return out
    for index, entry in enumerate(entries, start=1):
        cve = str(entry.get("cveID", "")).strip() if isinstance(entry, dict) else ""
        if not cve.upper().startswith("CVE-"):
            out.problems.append(
                (
                    Problem("an entry needs its cveID", f"{source}: vulnerabilities[{index}]"),
                    json.dumps(entry, ensure_ascii=False)[:2000],
                )
            )
            continue
        added = _when(str(entry.get("dateAdded", ""))) or now
        stamp = timestamps.stix(added)
        lines = [
            str(entry.get("vulnerabilityName", "")),
            str(entry.get("shortDescription", "")),
            f"Required action: {entry.get('requiredAction', '')} (due {entry.get('dueDate', '')})",
            f"Known ransomware use: {entry.get('knownRansomwareCampaignUse', 'Unknown')}",
        ]
        out.objects.append(
            {
                "type": "vulnerability",
                "spec_version": "2.1",
                "id": f"vulnerability--{uuid.uuid5(NAMESPACE, f'cve:{cve.upper()}')}",
                "created": stamp,
                "modified": stamp,
                "name": cve.upper(),
                "description": "\n".join(line for line in lines if line.strip())[:10_000],
                "labels": [
                    f"vendor:{entry.get('vendorProject', '')}"[:100],
                    f"product:{entry.get('product', '')}"[:100],
                    "cisa-kev",
                ],
                "external_references": [{"source_name": "cve", "external_id": cve.upper()}],
                "object_marking_refs": [level.marking_id],
            }
        )
    return out
