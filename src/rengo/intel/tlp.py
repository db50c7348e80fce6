"""TLP 2.0 in STIX 2.1: the OASIS marking definitions, reading an object's level, who may see it.

The five marking definitions are the OASIS ones (extension
``extension-definition--60a3c5c5-…``, property ``tlp_2_0``, created 2022-10-01), with their
fixed ids (../shared/reference/README.md). TLP 1.0 markings as stix2 ships them are read as
their TLP 2.0 equivalent (WHITE is CLEAR).

Who may see a level (FIRST TLP 2.0, with the 23 wards and the joint centre as the community):

=============  ================================================================
CLEAR          anyone, the public included
GREEN          the community: every ward and the joint centre
AMBER          the owning organisation, the joint centre, and the wards it was
               addressed to (need to know)
AMBER+STRICT   the owning organisation only
RED            the owning organisation only (never leaves the submitting ward)
=============  ================================================================
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"


class TLP(enum.StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def marking_id(self) -> str:
        return MARKING_IDS[self]

    @property
    def leaves_owner(self) -> bool:
        """May an object of this level be shared beyond the organisation that owns it?"""
        return self not in (TLP.RED, TLP.AMBER_STRICT)


_RANK = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4}

MARKING_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 as stix2 ships it (stix2.v21.TLP_WHITE …): WHITE became CLEAR in TLP 2.0.
TLP1_IDS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
LEVEL_OF_MARKING: dict[str, TLP] = {**{v: k for k, v in MARKING_IDS.items()}, **TLP1_IDS}


def marking_definition(level: TLP) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object for ``level``."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": level.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.value}
        },
    }


def parse_level(value: str) -> TLP:
    """'green', 'TLP:GREEN', 'amber+strict', 'white' (TLP 1.0) … -> TLP; ValueError otherwise."""
    text = value.strip().lower().removeprefix("tlp:").replace("_", "+").replace(" ", "")
    if text == "white":
        return TLP.CLEAR
    if text == "amber-strict":
        text = "amber+strict"
    try:
        return TLP(text)
    except ValueError:
        allowed = ", ".join(t.value for t in TLP)
        raise ValueError(f"{value!r} is not a TLP level ({allowed})") from None


def level_of(obj: dict[str, Any]) -> TLP | None:
    """The most restrictive TLP marking of an object (object-level markings), if any.

    A TLP marking-definition is itself CLEAR: everyone may know what TLP:RED means.
    """
    if obj.get("type") == "marking-definition" and obj.get("id") in LEVEL_OF_MARKING:
        return TLP.CLEAR
    found = [
        LEVEL_OF_MARKING[m] for m in obj.get("object_marking_refs") or () if m in LEVEL_OF_MARKING
    ]
    for granular in obj.get("granular_markings") or ():
        ref = granular.get("marking_ref") if isinstance(granular, dict) else None
        if ref in LEVEL_OF_MARKING:
            found.append(LEVEL_OF_MARKING[ref])
    return max(found, key=lambda t: t.rank) if found else None


def most_restrictive(levels: Iterable[TLP]) -> TLP:
    return max(levels, key=lambda t: t.rank)


def with_level(obj: dict[str, Any], level: TLP) -> dict[str, Any]:
    """A copy of ``obj`` whose TLP markings say ``level`` (other markings kept)."""
    if obj.get("type") == "marking-definition":
        return dict(obj)
    refs = [m for m in obj.get("object_marking_refs") or () if m not in LEVEL_OF_MARKING]
    return {**obj, "object_marking_refs": [*refs, MARKING_IDS[level]]}
