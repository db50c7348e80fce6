"""TAXII 2.1 details: media types, error messages and codes, TLP on every read path."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.intel.collections import FEEDS, SHARED, ward_collection_id
from rengo.intel.settings import IntelSettings
from rengo.intel.tlp import TLP
from tests.helpers import JOINT, WARD_A, WARD_B
from tests.intel.helpers import TAXII, TAXII_ROOT, indicator, taxii_headers

OBJECTS = f"{TAXII_ROOT}collections/{SHARED}/objects/"


def _error(response: object, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == TAXII  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["http_status"] == str(status) and body["title"]
    return dict(body)


@pytest.mark.parametrize(
    "accept",
    [
        "application/taxii+json;version=2.1",
        "application/taxii+json; version=2.1",
        "application/taxii+json",
        "*/*",
        "application/taxii+json;version=2.1, application/json;q=0.5",
    ],
)
def test_accept_forms_clients_send(
    client: TestClient, tokens: Callable[..., str], accept: str
) -> None:
    response = client.get(
        "/taxii2/", headers={"Accept": accept, "Authorization": f"Bearer {tokens()}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII


def test_errors_are_taxii_messages_with_proper_codes(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    ward = tokens(WARD_A, "ward_it")
    _error(client.get("/taxii2/", headers={"Accept": "application/taxii+json;version=2.0"}), 406)
    _error(client.get(OBJECTS, headers={"Accept": "text/html"}), 406)
    _error(client.get(OBJECTS, headers={"Authorization": "Bearer rgo_wrong"}), 401)
    body = _error(client.get(f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/"), 401)
    assert "token" in body["description"]
    _error(
        client.get(
            f"{TAXII_ROOT}collections/{ward_collection_id(WARD_B)}/", headers=taxii_headers(ward)
        ),
        404,
    )
    _error(client.post(OBJECTS, json={"objects": []}, headers=taxii_headers(ward)), 403)
    _error(
        client.post(
            OBJECTS, content=b"{}", headers={**taxii_headers(joint), "Content-Type": "text/plain"}
        ),
        415,
    )
    _error(client.post(OBJECTS, content=b"not json", headers=taxii_headers(joint)), 400)
    _error(client.post(OBJECTS, content=b'{"objects": 5}', headers=taxii_headers(joint)), 422)
    _error(client.get(OBJECTS, params={"limit": "zero"}, headers=taxii_headers(joint)), 400)
    _error(
        client.get(OBJECTS, params={"added_after": "yesterday"}, headers=taxii_headers(joint)), 400
    )
    _error(client.get(OBJECTS, params={"next": "garbage"}, headers=taxii_headers(joint)), 400)
    _error(client.put(OBJECTS, headers=taxii_headers(joint)), 405)
    _error(client.get(f"{TAXII_ROOT}nothing-here/", headers=taxii_headers(joint)), 404)
    _error(client.get(f"{TAXII_ROOT}status/unknown/", headers=taxii_headers(joint)), 404)
    _error(
        client.get(
            f"{OBJECTS}indicator--00000000-0000-4000-8000-000000000000/",
            headers=taxii_headers(joint),
        ),
        404,
    )


def test_invalid_objects_are_reported_by_object_and_property(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    good = indicator("192.0.2.10")
    no_name_pattern = {**indicator("192.0.2.11"), "pattern": "[ipv4-addr:value = '192.0.2.11'"}
    bad_time = {**indicator("192.0.2.12"), "created": "yesterday"}
    response = client.post(
        OBJECTS,
        json={"objects": [good, no_name_pattern, bad_time, "text"]},
        headers=taxii_headers(joint),
    )
    assert response.status_code == 202
    status = response.json()
    assert (status["success_count"], status["failure_count"], status["total_count"]) == (1, 3, 4)
    messages = {f["id"]: f["message"] for f in status["failures"]}
    assert (
        "object 1" in messages[no_name_pattern["id"]]
        and "property pattern" in messages[no_name_pattern["id"]]
    )
    assert "property created" in messages[bad_time["id"]]
    polled = client.get(f"{TAXII_ROOT}status/{status['id']}/", headers=taxii_headers(joint))
    assert polled.status_code == 200 and polled.json()["failure_count"] == 3
    # Another ward cannot read the status of our request.
    _error(
        client.get(
            f"{TAXII_ROOT}status/{status['id']}/", headers=taxii_headers(tokens(WARD_B, "ward_it"))
        ),
        404,
    )


def test_red_and_amber_strict_never_enter_community_collections(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    red = indicator("192.0.2.20", tlp=TLP.RED)
    response = client.post(OBJECTS, json={"objects": [red]}, headers=taxii_headers(joint))
    assert response.json()["failure_count"] == 1
    assert "TLP:RED never leaves" in response.json()["failures"][0]["message"]


ROLES = ["admin", "soc_analyst", "csirt", "ward_it", "ward_finance", "policy", "executive"]
READERS = {"admin", "soc_analyst", "csirt", "ward_it", "executive"}


def _ids(client: TestClient, url: str, token: str | None) -> set[str]:
    headers = taxii_headers(token) if token else {"Accept": TAXII}
    response = client.get(url, headers=headers)
    if response.status_code in (401, 403, 404):
        return set()
    assert response.status_code == 200, response.text
    return {o["id"] for o in response.json().get("objects", [])}


@pytest.mark.parametrize("role", ROLES)
def test_tlp_enforced_for_every_role_and_level(
    client: TestClient, env: Runtime, tokens: Callable[..., str], role: str
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    community = {
        level: indicator(f"192.0.2.{30 + i}", tlp=level)
        for i, level in enumerate([TLP.CLEAR, TLP.GREEN, TLP.AMBER])
    }
    client.post(
        f"{TAXII_ROOT}collections/{FEEDS}/objects/",
        json={"objects": list(community.values())},
        headers=taxii_headers(joint),
    )
    # AMBER addressed only to ward B (need to know), added by the hub directly.
    from rengo.core.permissions import SYSTEM
    from rengo.intel.access import audience_text
    from rengo.intel.collections import get_collection
    from rengo.intel.ingest import ingest

    amber_b = indicator("192.0.2.40", tlp=TLP.AMBER)
    with env.db.session() as session:
        feeds = get_collection(session, SYSTEM, FEEDS)
        ingest(
            session,
            env.settings,
            SYSTEM,
            feeds,
            [amber_b],
            now=env.clock.now(),
            source="test",
            audience_all=False,
            audience=audience_text([WARD_B]),
        )
    # Ward A keeps RED and AMBER+STRICT in its own collection.
    ward_a_it = tokens(WARD_A, "ward_it")
    private = {
        level: indicator(f"192.0.2.{50 + i}", tlp=level)
        for i, level in enumerate([TLP.AMBER_STRICT, TLP.RED])
    }
    own = f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/"
    posted = client.post(
        own, json={"objects": list(private.values())}, headers=taxii_headers(ward_a_it)
    )
    assert posted.json()["success_count"] == 2

    feeds_url = f"{TAXII_ROOT}collections/{FEEDS}/objects/"
    for tenant in (WARD_A, WARD_B, JOINT):
        token = tokens(tenant, role)
        seen = _ids(client, feeds_url, token) | _ids(client, own, token)
        expected: set[str] = set()
        if role in READERS:
            expected |= {
                community[TLP.CLEAR]["id"],
                community[TLP.GREEN]["id"],
                community[TLP.AMBER]["id"],
            }
            if tenant in (WARD_B, JOINT):
                expected.add(amber_b["id"])
            if tenant == WARD_A:
                expected |= {private[TLP.AMBER_STRICT]["id"], private[TLP.RED]["id"]}
        else:
            expected.add(community[TLP.CLEAR]["id"])  # public collections: CLEAR for anyone
        assert seen == expected, f"{role}@{tenant}"
    assert _ids(client, feeds_url, None) == {community[TLP.CLEAR]["id"]}
    assert _ids(client, own, None) == set()


def test_joint_reading_a_ward_collection_is_audited(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    from rengo.core import audit

    own = f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/"
    client.post(
        own,
        json={"objects": [indicator("192.0.2.77", tlp=TLP.AMBER)]},
        headers=taxii_headers(tokens(WARD_A, "ward_it")),
    )
    response = client.get(own, headers=taxii_headers(tokens(JOINT, "soc_analyst")))
    assert len(response.json()["objects"]) == 1
    with env.db.session() as session:
        events = audit.query(session, tenants=None, action="intel.original.read")
    assert events and events[0].actor_tenant == JOINT and events[0].object_tenant == WARD_A


def test_large_post_is_refused_with_413(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    env.settings.section(IntelSettings).taxii_max_content_length = 1000
    body = json.dumps({"objects": [indicator(f"192.0.2.{i}") for i in range(20)]})
    response = client.post(
        OBJECTS, content=body, headers=taxii_headers(tokens(JOINT, "soc_analyst"))
    )
    _error(response, 413)
