"""Feed formats to STIX 2.1: STIX bundles, MISP feeds (manifest + event files), CSV lists.

Every record that cannot be used is returned as a problem naming its place (file:line,
event and attribute, object index) so that the importer can quarantine it.
Indicators made from bare values (CSV, MISP) get an id derived from the value, so the
same value from any feed, imported any number of times, is one indicator.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rengo.core.errors import Problem
from rengo.intel import patterns, timestamps
from rengo.intel.builders import KIND_NAMES
from rengo.intel.collections import NAMESPACE
from rengo.intel.patterns import Atom
from rengo.intel.tlp import TLP, parse_level

# MISP attribute types (MISP core format) and the kinds of value they carry.
MISP_TYPES: dict[str, str] = {
    "ip-src": "ip",
    "ip-dst": "ip",
    "ip-src|port": "ip|",
    "ip-dst|port": "ip|",
    "domain": "domain",
    "hostname": "domain",
    "domain|ip": "domain|ip",
    "hostname|port": "domain|",
    "url": "url",
    "link": "url",
    "uri": "url",
    "email": "email",
    "email-src": "email",
    "email-dst": "email",
    "email-reply-to": "email",
    "md5": "hash",
    "sha1": "hash",
    "sha256": "hash",
    "sha512": "hash",
    "filename|md5": "|hash",
    "filename|sha1": "|hash",
    "filename|sha256": "|hash",
    "filename|sha512": "|hash",
}


@dataclass(slots=True)
class Parsed:
    objects: list[dict[str, Any]] = field(default_factory=list)
    problems: list[tuple[Problem, str]] = field(default_factory=list)
    """Each unusable record: where and why, and its raw text (for the quarantine)."""


def value_indicator(
    atom: Atom,
    *,
    name: str,
    description: str,
    level: TLP,
    created: datetime,
    labels: list[str] | None = None,
) -> dict[str, Any]:
    stamp = timestamps.stix(created)
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid5(NAMESPACE, f'value:{atom.kind}:{atom.value}')}",
        "created": stamp,
        "modified": stamp,
        "name": name[:300] or f"{KIND_NAMES[atom.kind]} {atom.value}",
        "pattern": patterns.pattern_for(atom.kind, atom.value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": stamp,
        "indicator_types": ["malicious-activity"],
        "object_marking_refs": [level.marking_id],
    }
    if description:
        obj["description"] = description[:10_000]
    if labels:
        obj["labels"] = labels[:20]
    return obj


# -- STIX ---------------------------------------------------------------------------------


def parse_stix(data: bytes, source: str) -> Parsed:
    out = Parsed()
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        out.problems.append(
            (Problem(f"not JSON: {exc}", source), data[:2000].decode("utf-8", "replace"))
        )
        return out
    if isinstance(document, dict) and document.get("type") == "bundle":
        objects = document.get("objects", [])
    elif isinstance(document, dict) and isinstance(document.get("objects"), list):
        objects = document["objects"]  # a TAXII envelope
    elif isinstance(document, list):
        objects = document
    else:
        objects = [document]
    if not isinstance(objects, list):
        out.problems.append((Problem("objects must be a list", f"{source}: bundle.objects"), ""))
        return out
    out.objects = objects
    return out


# -- MISP -----------------------------------------------------------------------------------


def _misp_level(tags: list[dict[str, Any]] | None, default: TLP) -> TLP:
    for tag in tags or ():
        name = str(tag.get("name", "")).lower()
        if name.startswith("tlp:"):
            try:
                return parse_level(name)
            except ValueError:
                continue
    return default


def _misp_atoms(kind: str, value: str) -> list[Atom]:
    parts = value.split("|")
    candidates: list[str] = []
    if kind in ("ip", "domain", "url", "email", "hash"):
        candidates = [value]
    elif kind in ("ip|", "domain|"):
        candidates = [parts[0]]
    elif kind == "domain|ip":
        candidates = parts[:2]
    elif kind == "|hash":
        candidates = parts[1:2]
    atoms = []
    for candidate in candidates:
        atom = patterns.classify(candidate)
        if atom is not None:
            atoms.append(atom)
    return atoms


def misp_event(event_doc: Any, source: str, default: TLP) -> Parsed:
    """Indicators of one MISP event (its attributes and its objects' attributes marked to_ids)."""
    out = Parsed()
    event = event_doc.get("Event", event_doc) if isinstance(event_doc, dict) else None
    if not isinstance(event, dict):
        out.problems.append((Problem("not a MISP event", source), json.dumps(event_doc)[:2000]))
        return out
    info = str(event.get("info", ""))
    event_level = _misp_level(event.get("Tag"), default)
    attributes = list(event.get("Attribute") or [])
    for misp_object in event.get("Object") or []:
        attributes.extend(misp_object.get("Attribute") or [])
    for index, attribute in enumerate(attributes):
        where = f"{source}: event {event.get('uuid', '?')} attribute {attribute.get('uuid', index)}"
        kind = MISP_TYPES.get(str(attribute.get("type", "")))
        if kind is None or not attribute.get("to_ids", True) or attribute.get("deleted"):
            continue  # context attributes (comments, text) are not indicators
        atoms = _misp_atoms(kind, str(attribute.get("value", "")))
        if not atoms:
            out.problems.append(
                (
                    Problem(
                        f"value {attribute.get('value')!r} is not a {attribute.get('type')}", where
                    ),
                    json.dumps(attribute, ensure_ascii=False)[:2000],
                )
            )
            continue
        level = _misp_level(attribute.get("Tag"), event_level)
        stamp = str(attribute.get("timestamp") or event.get("timestamp") or "")
        created = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else datetime.now(UTC)
        for atom in atoms:
            out.objects.append(
                value_indicator(
                    atom,
                    name=f"{KIND_NAMES[atom.kind]} {atom.value} ({info[:120]})",
                    description=str(attribute.get("comment", "")),
                    level=level,
                    created=created,
                    labels=[f"misp:{attribute.get('category', '')}".rstrip(":")],
                )
            )
    return out


def parse_misp(data: bytes, source: str, default: TLP) -> Parsed:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return Parsed(
            problems=[(Problem(f"not JSON: {exc}", source), data[:2000].decode("utf-8", "replace"))]
        )
    return misp_event(document, source, default)


def misp_manifest(data: bytes, source: str) -> list[str]:
    """Event uuids listed in a MISP feed's manifest.json."""
    document = json.loads(data)
    if not isinstance(document, dict):
        raise ValueError(f"{source}: a MISP manifest maps event uuids to their summaries")
    return list(document)


# -- CSV ------------------------------------------------------------------------------------


def parse_csv(data: bytes, source: str, level: TLP, now: datetime) -> Parsed:
    """One indicator per line: the value first; an optional second column is a comment.

    A header line, blank lines and lines starting with '#' are skipped. Defanged values
    (hxxp://, evil[.]com) are accepted.
    """
    out = Parsed()
    text = data.decode("utf-8-sig", "replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        out.problems.append(
            (Problem(f"not readable as CSV: {error}", f"{source}:{reader.line_num}"), "")
        )
        return out
    for line_no, row in rows:
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        value = refang(row[0])
        atom = patterns.classify(value)
        if atom is None:
            if line_no == 1:
                continue  # a header
            out.problems.append(
                (
                    Problem(
                        f"{row[0]!r} is no IP, domain, URL, hash or e-mail address",
                        f"{source}:{line_no}",
                    ),
                    ",".join(row),
                )
            )
            continue
        comment = row[1].strip() if len(row) > 1 else ""
        out.objects.append(
            value_indicator(atom, name="", description=comment, level=level, created=now)
        )
    return out


def refang(value: str) -> str:
    return (
        value.strip()
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[:]", ":")
        .replace("hxxps://", "https://")
        .replace("hxxp://", "http://")
        .replace("[@]", "@")
    )


def sniff(data: bytes, name: str) -> str:
    """'stix', 'misp' or 'csv' from the name and the first bytes."""
    lowered = name.lower()
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    head = data[:4096].lstrip()
    if head.startswith((b"{", b"[")):
        return "misp" if b'"Event"' in head else "stix"
    return "csv"


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
