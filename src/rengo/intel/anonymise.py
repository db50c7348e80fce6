"""The anonymiser: turn what a ward saw into what may leave it (J-CSIP style).

What identifies the submitting ward is removed or generalised; what identifies the
attacker is kept:

- the submitter becomes the joint centre's identity in every ``created_by_ref``; the
  ward's own identity objects are dropped;
- indicators and observables whose values are the ward's (its IP ranges, host names and
  mail domains from the asset register, staff addresses, private and special-purpose
  ranges) are dropped, and patterns keep only their external values;
- every free text (names, descriptions, subjects, bodies, custom properties) has internal
  addresses, host names, mail addresses, staff names, the ward's name and any extra terms
  the ward gives replaced by a neutral placeholder;
- kept objects get new ids, so the shared version cannot be linked to the original.

Every change is listed (object, property, action, reason) for the side-by-side preview.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.assets.service import ward_footprint
from rengo.core.identity import User
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import ward_by_code
from rengo.intel import patterns
from rengo.intel.collections import NAMESPACE
from rengo.intel.patterns import Atom
from rengo.intel.settings import IntelSettings
from rengo.intel.tlp import TLP, marking_definition, with_level
from rengo.intel.warninglists import SPECIAL_NETWORKS

JOINT_IDENTITY_ID = f"identity--{uuid.uuid5(NAMESPACE, 'joint-centre-identity')}"
JOINT_IDENTITY_CREATED = "2026-04-01T00:00:00.000Z"
INTERNAL_ZONES = (".local", ".lan", ".internal", ".intra", ".corp", ".lg.jp", ".lgwan.jp")
"""Host names under these are internal infrastructure; their parent zones are the ward's."""

PLACEHOLDER_ADDRESS = "[internal-address]"
PLACEHOLDER_HOST = "[internal-host]"
PLACEHOLDER_MAIL = "[staff-mail]"
PLACEHOLDER_NAME = "[staff-name]"
PLACEHOLDER_WARD = "[a-ward]"
PLACEHOLDER_TERM = "[redacted]"

SKIP_KEYS = {
    "id",
    "type",
    "spec_version",
    "created",
    "modified",
    "created_by_ref",
    "object_marking_refs",
    "pattern",
    "pattern_type",
    "pattern_version",
    "valid_from",
    "valid_until",
    "first_observed",
    "last_observed",
    "published",
    "first_seen",
    "last_seen",
    "hashes",
    "lang",
    "confidence",
    "revoked",
}
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\d.])")
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?:/\d{1,3})?")
_MAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_HOST = re.compile(
    r"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]{1,62}\b"
)


class Reason(str):
    """Why something was removed: English text, plus its msgid and value for the UI."""

    key: str
    arg: str

    @classmethod
    def of(cls, key: str, x: str = "") -> Reason:
        reason = cls(key % {"x": x})
        reason.key, reason.arg = key, x
        return reason


def joint_identity(settings: Settings) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": JOINT_IDENTITY_ID,
        "created": JOINT_IDENTITY_CREATED,
        "modified": JOINT_IDENTITY_CREATED,
        "name": settings.section(IntelSettings).joint_identity_name,
        "identity_class": "organization",
        "sectors": ["government-local"],
    }


@dataclass(slots=True)
class Sensitive:
    """What identifies one ward: the anonymiser removes all of it."""

    ward: TenantCode
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
    hosts: set[str]
    zones: set[str]
    mails: set[str]
    names: set[str]
    ward_names: set[str]
    terms: set[str] = field(default_factory=set)

    @classmethod
    def for_ward(
        cls,
        session: Session,
        ward: TenantCode,
        *,
        extra_terms: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> Sensitive:
        footprint = ward_footprint(session, ward)
        networks = list(SPECIAL_NETWORKS)
        for cidr in footprint.ip_ranges:
            try:
                networks.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                continue
        hosts = {h.lower().rstrip(".") for h in footprint.hostnames}
        zones = {d.lower() for d in footprint.mail_domains}
        for host in hosts:
            parent = host.partition(".")[2]
            if parent.count(".") >= 1 and host.endswith(INTERNAL_ZONES):
                zones.add(parent)
        people: set[str] = {n for n in names if n}
        mails: set[str] = set()
        for display, username, email in session.execute(
            select(User.display_name, User.username, User.email).where(User.tenant == ward)
        ):
            people.update(x for x in (display, username) if x)
            if email:
                mails.add(email.lower())
        for owner, custodian in session.execute(
            select(Asset.owner, Asset.custodian).where(Asset.tenant == ward)
        ):
            people.update(x for x in (owner, custodian) if x)
        # A person is also named by the family or given name alone ("山田 様", "Yamada-san").
        for person in list(people):
            people.update(part for part in re.split(r"[\s\u3000・]+", person) if len(part) >= 2)
        info = ward_by_code(ward)
        ward_names = {
            info.name_ja,
            info.name_ja.removesuffix("区"),
            info.name_romaji,
            info.name_kana,
            ward,
            f"{info.name_romaji} City",
        }
        ward_names = {w for w in ward_names if len(w) >= 2}
        return cls(
            ward,
            networks,
            hosts,
            zones,
            mails,
            {p for p in people if len(p) >= 2},
            ward_names,
            {t for t in extra_terms if t.strip()},
        )

    # -- what is internal ----------------------------------------------------------------

    def address_reason(self, text: str) -> str | None:
        try:
            network = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            return None
        for own in self.networks:
            if network.version == own.version and network.subnet_of(own):  # type: ignore[arg-type]
                return Reason.of("ward or private address range %(x)s", str(own))
        return None

    def host_reason(self, host: str) -> str | None:
        host = host.lower().rstrip(".")
        if host in self.hosts:
            return Reason.of("host name in the ward's asset register")
        for zone in self.zones:
            if host == zone or host.endswith("." + zone):
                return Reason.of("the ward's domain %(x)s", zone)
        return None

    def mail_reason(self, mail: str) -> str | None:
        mail = mail.lower()
        if mail in self.mails:
            return Reason.of("staff mail address")
        return self.host_reason(mail.rpartition("@")[2])

    def atom_reason(self, atom: Atom) -> str | None:
        if atom.kind in ("ipv4", "ipv6", "cidr4", "cidr6"):
            return self.address_reason(atom.value)
        if atom.kind == "domain":
            return self.host_reason(atom.value)
        if atom.kind == "url":
            from urllib.parse import urlsplit

            host = urlsplit(atom.value).hostname or ""
            return self.host_reason(host) or self.address_reason(host)
        if atom.kind == "email":
            return self.mail_reason(atom.value)
        return None

    # -- free text ---------------------------------------------------------------------

    def scrub(self, text: str) -> tuple[str, list[str]]:
        """Text with everything of the ward replaced; and the reasons of what was replaced."""
        reasons: list[str] = []

        def mail(match: re.Match[str]) -> str:
            reason = self.mail_reason(match.group(0))
            if reason:
                reasons.append(reason)
                return PLACEHOLDER_MAIL
            return match.group(0)

        def address(match: re.Match[str]) -> str:
            reason = self.address_reason(match.group(0))
            if reason:
                reasons.append(reason)
                return PLACEHOLDER_ADDRESS
            return match.group(0)

        def host(match: re.Match[str]) -> str:
            reason = self.host_reason(match.group(0))
            if reason:
                reasons.append(reason)
                return PLACEHOLDER_HOST
            return match.group(0)

        out = _MAIL.sub(mail, text)
        out = _IPV4.sub(address, out)
        out = _IPV6.sub(address, out)
        out = _HOST.sub(host, out)
        for words, placeholder, reason in (
            (self.terms, PLACEHOLDER_TERM, "a term the ward asked to remove"),
            (self.names, PLACEHOLDER_NAME, "staff name"),
            (self.ward_names, PLACEHOLDER_WARD, "the ward's name"),
        ):
            for word in sorted(words, key=len, reverse=True):
                if word.isascii():
                    out, count = re.subn(re.escape(word), placeholder, out, flags=re.IGNORECASE)
                else:
                    count = out.count(word)
                    out = out.replace(word, placeholder)
                if count:
                    reasons.append(reason)
        return out, reasons


@dataclass(slots=True)
class Anonymised:
    objects: list[dict[str, Any]]
    redactions: list[dict[str, str]]


def shared_id(original_id: str) -> str:
    kind = original_id.partition("--")[0]
    return f"{kind}--{uuid.uuid5(NAMESPACE, 'shared:' + original_id)}"


class _Pass:
    def __init__(self, sensitive: Sensitive, settings: Settings, level: TLP) -> None:
        self.s, self.settings, self.level = sensitive, settings, level
        self.redactions: list[dict[str, str]] = []
        self.dropped: set[str] = set()
        self.ids: dict[str, str] = {}

    def note(
        self, obj: dict[str, Any], prop: str, action: str, reason: str, value: str = ""
    ) -> None:
        self.redactions.append(
            {
                "object": obj.get("id", ""),
                "type": obj.get("type", ""),
                "property": prop,
                "action": action,
                "reason": str(reason),
                "reason_key": getattr(reason, "key", reason),
                "reason_arg": getattr(reason, "arg", ""),
                "value": value[:300],
            }
        )

    def drop(self, obj: dict[str, Any], reason: str, value: str = "") -> None:
        self.dropped.add(obj["id"])
        self.note(obj, "", "removed", reason, value)

    def first_pass(self, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop the ward's identities and internal observables; trim indicator patterns."""
        kept = []
        for original in objects:
            obj = dict(original)
            kind = obj.get("type")
            if kind == "identity" and obj.get("id") != JOINT_IDENTITY_ID:
                self.drop(obj, "the submitting ward's identity")
                continue
            if kind == "marking-definition":
                continue
            if kind in ("ipv4-addr", "ipv6-addr") and (
                r := self.s.address_reason(str(obj.get("value", "")))
            ):
                self.drop(obj, r, str(obj.get("value", "")))
                continue
            if kind == "domain-name" and (r := self.s.host_reason(str(obj.get("value", "")))):
                self.drop(obj, r, str(obj.get("value", "")))
                continue
            if kind == "email-addr" and (r := self.s.mail_reason(str(obj.get("value", "")))):
                self.drop(obj, r, str(obj.get("value", "")))
                continue
            if kind == "url" and (r := self.s.atom_reason(Atom("url", str(obj.get("value", ""))))):
                self.drop(obj, r, str(obj.get("value", "")))
                continue
            if kind == "user-account":
                self.drop(
                    obj,
                    "account of the ward (accounts targeted are counted, not named)",
                    str(obj.get("account_login") or obj.get("user_id") or ""),
                )
                continue
            if kind == "indicator" and obj.get("pattern_type") == "stix":
                trimmed = self._trim_indicator(obj)
                if trimmed is None:
                    continue
                obj = trimmed
            kept.append(obj)
        return kept

    def _trim_indicator(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        atoms = patterns.parse(str(obj.get("pattern", ""))).atoms
        if not atoms:
            return obj
        external = []
        for atom in atoms:
            reason = self.s.atom_reason(atom)
            if reason:
                self.note(obj, "pattern", "removed value", reason, atom.value)
            else:
                external.append(atom)
        if not external:
            self.drop(obj, "every value of the pattern is the ward's own")
            return None
        if len(external) < len(atoms):
            obj["pattern"] = " OR ".join(patterns.pattern_for(a.kind, a.value) for a in external)
        return obj

    def rewrite(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """New ids, references to dropped objects removed, free text scrubbed."""
        for key in list(obj):
            value = obj[key]
            if key.endswith("_ref") and isinstance(value, str) and key != "created_by_ref":
                if value in self.dropped:
                    if key in ("source_ref", "target_ref", "sighting_of_ref"):
                        self.drop(obj, Reason.of("refers to a removed object (%(x)s)", key))
                        return None
                    del obj[key]
                else:
                    obj[key] = self.ids.get(value, value)
            elif key.endswith("_refs") and isinstance(value, list) and key != "object_marking_refs":
                if key == "where_sighted_refs":
                    del obj[key]
                    self.note(obj, key, "removed", "where it was seen identifies the ward")
                    continue
                refs = [self.ids.get(r, r) for r in value if r not in self.dropped]
                if len(refs) < len(value):
                    self.note(obj, key, "removed references", "refer to removed objects")
                if refs:
                    obj[key] = refs
                else:
                    del obj[key]
        if obj.get("type") in (
            "report",
            "observed-data",
            "grouping",
            "note",
            "opinion",
        ) and not obj.get("object_refs"):
            self.drop(obj, "nothing left to refer to")
            return None
        obj = self._scrub_value(obj, obj, "")
        obj["id"] = self.ids.get(obj["id"], obj["id"])
        if "created" in obj:
            obj["created_by_ref"] = JOINT_IDENTITY_ID
        return with_level(obj, self.level)

    def _scrub_value(self, obj: dict[str, Any], value: Any, path: str) -> Any:
        if isinstance(value, str):
            cleaned, reasons = self.s.scrub(value)
            for reason in dict.fromkeys(reasons):
                self.note(obj, path, "generalised", reason)
            return cleaned
        if isinstance(value, list):
            return [self._scrub_value(obj, v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for key, inner in value.items():
                if path == "" and (key in SKIP_KEYS or key.endswith(("_ref", "_refs"))):
                    out[key] = inner
                    continue
                if (
                    path == ""
                    and key == "value"
                    and obj.get("type")
                    in ("ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr")
                ):
                    out[key] = inner
                    continue
                out[key] = self._scrub_value(obj, inner, f"{path}.{key}" if path else key)
            return out
        return value


def anonymise(
    objects: list[dict[str, Any]], sensitive: Sensitive, settings: Settings, level: TLP
) -> Anonymised:
    """The shareable version of a ward's objects, and the list of what was changed and why."""
    work = _Pass(sensitive, settings, level)
    kept = work.first_pass(objects)
    settled = list(work.redactions)
    for obj in kept:
        if obj.get("type") in VALUE_SCO_TYPES:
            continue  # their ids derive from the (external) value alone
        work.ids[obj["id"]] = shared_id(obj["id"])
    # Removing one object can orphan another (a relationship, a sighting): repeat until stable.
    while True:
        before = set(work.dropped)
        work.redactions = []
        out = []
        for obj in kept:
            if obj["id"] in work.dropped:
                continue
            rewritten = work.rewrite(dict(obj))
            if rewritten is not None:
                out.append(rewritten)
        newly = work.dropped - before
        if not newly:
            break
        settled.extend(
            r for r in work.redactions if r["object"] in newly and r["action"] == "removed"
        )
    shared = [joint_identity(settings), marking_definition(level), *out]
    return Anonymised(shared, settled + work.redactions)


VALUE_SCO_TYPES = {"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr"}
