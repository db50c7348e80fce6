"""The OASIS examples and MITRE ATT&CK for ICS load, validate and round-trip unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import stix2
from fastapi.testclient import TestClient

from rengo.intel import patterns, validate
from rengo.intel.collections import FEEDS, ward_collection_id
from rengo.intel.tlp import TLP, level_of, marking_definition
from tests.helpers import JOINT, WARD_A
from tests.intel.helpers import TAXII_ROOT, load_bundle, taxii_headers


def _examples(shared: Path) -> list[Path]:
    return [
        *sorted((shared / "stix" / "examples").rglob("*.json")),
        shared / "stix" / "mitre-attack" / "ics-attack.json",
    ]


def test_every_shared_example_is_valid(shared_data: Path) -> None:
    for path in _examples(shared_data):
        objects = load_bundle(path)
        problems = [p for i, o in enumerate(objects) for p in validate.object_problems(o, i)]
        assert problems == [], f"{path.name}: {problems[:3]}"


def test_validation_names_object_and_property(shared_data: Path) -> None:
    objects = load_bundle(shared_data / "stix" / "examples" / "indicators-for-C2-with-COA.json")
    broken = dict(objects[2])
    broken["valid_from"] = "not a time"
    del broken["pattern_type"]
    messages = [str(p) for p in validate.object_problems(broken, 2)]
    assert any(f"object 2 ({broken['id']}), property valid_from" in m for m in messages)
    assert any("pattern_type" in m for m in messages)


def test_tlp2_marking_definitions_are_valid_and_read_back() -> None:
    for level in TLP:
        definition = marking_definition(level)
        assert validate.object_problems(definition) == []
        assert (
            definition["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"][
                "tlp_2_0"
            ]
            == level.value
        )
        assert level_of({"type": "indicator", "object_marking_refs": [level.marking_id]}) is level
    # TLP 1.0 as stix2 ships it maps onto TLP 2.0.
    assert level_of({"object_marking_refs": [stix2.TLP_WHITE.id]}) is TLP.CLEAR
    assert level_of({"object_marking_refs": [stix2.TLP_AMBER.id, stix2.TLP_RED.id]}) is TLP.RED


def test_patterns_of_the_examples_give_matchable_values(shared_data: Path) -> None:
    objects = load_bundle(shared_data / "stix" / "examples" / "threat-reports" / "apt1.json")
    atoms = {
        a for o in objects if o["type"] == "indicator" for a in patterns.parse(o["pattern"]).atoms
    }
    kinds = {a.kind for a in atoms}
    assert {"cidr4", "domain", "md5"} <= kinds
    assert patterns.Atom("domain", "hugesoft.org") in atoms


@pytest.mark.slow
def test_examples_and_ics_round_trip_over_taxii(
    shared_data: Path, client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    ward = tokens(WARD_A, "ward_it")
    feeds = f"{TAXII_ROOT}collections/{FEEDS}/objects/"
    own = f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/"
    sent: dict[str, dict[str, object]] = {}
    for path in _examples(shared_data):
        objects = load_bundle(path)
        # TLP:RED never enters a community collection: it stays in the ward's own one.
        private = [o for o in objects if (lv := level_of(o)) and not lv.leaves_owner]
        shared = [o for o in objects if o not in private]
        for url, token, batch in ((feeds, joint, shared), (own, ward, private)):
            if batch:
                response = client.post(url, json={"objects": batch}, headers=taxii_headers(token))
                assert response.status_code == 202
                assert response.json()["failure_count"] == 0, response.json()["failures"][:2]
        sent.update((o["id"], o) for o in objects)
    received: dict[str, dict[str, object]] = {}
    for url, token in ((feeds, joint), (own, ward)):
        params: dict[str, str] = {"match[version]": "all", "limit": "1000"}
        while True:
            page = client.get(url, params=params, headers=taxii_headers(token)).json()
            for obj in page.get("objects", []):
                received[obj["id"]] = obj
            if not page["more"]:
                break
            params["next"] = page["next"]
    assert len(received) == len(sent) >= 1826
    for ident, obj in sent.items():
        assert json.dumps(received[ident], sort_keys=True) == json.dumps(obj, sort_keys=True), ident
    # stix2 parses what we serve.
    bundle = stix2.parse(
        {
            "type": "bundle",
            "id": "bundle--6f4e1bd2-7a44-4bb3-9df0-61e2a0bb9e10",
            "objects": list(received.values())[:200],
        },
        allow_custom=True,
    )
    assert len(bundle.objects) == 200
