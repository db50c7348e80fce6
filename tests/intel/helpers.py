"""Helpers for the intel tests: STIX objects made up for the tests, TAXII headers."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from rengo.intel.tlp import TLP

TAXII = "application/taxii+json;version=2.1"
TAXII_ROOT = "/taxii2/rengo/"


def taxii_headers(token: str | None = None) -> dict[str, str]:
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def indicator(
    value: str,
    *,
    kind: str = "ipv4-addr",
    tlp: TLP | None = TLP.GREEN,
    modified: str = "2024-05-01T09:00:00.000Z",
    ident: str | None = None,
    name: str = "",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": ident or f"indicator--{uuid.uuid4()}",
        "created": "2024-05-01T09:00:00.000Z",
        "modified": modified,
        "name": name or f"test indicator {value}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[{kind}:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2024-05-01T09:00:00Z",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [tlp.marking_id]
    return obj


def load_bundle(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text("utf-8"))
    return data["objects"] if data.get("type") == "bundle" else [data]


def event(ward: str, when: Any, **fields: Any) -> dict[str, Any]:
    """One event row in the SOC schema (only the fields a test cares about)."""
    return {
        "event_id": fields.pop("event_id", f"ev-{uuid.uuid4().hex[:12]}"),
        "time": when,
        "ward": ward,
        "origin": "real",
        "class_uid": fields.pop("class_uid", 4001),
        **fields,
    }


def write_events(lake_root: Path, events: list[dict[str, Any]]) -> None:
    """Commit events to the SOC lake, as its writer does (one commit, partitioned by day)."""
    from rengo.soc.lake import Lake

    lake = Lake(lake_root)
    lake.commit(lake.head() + 1, [dict(e) for e in events], [])
