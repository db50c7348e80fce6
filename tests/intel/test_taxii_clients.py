"""The standard clients, unmodified, against our TAXII 2.1 server over real HTTP.

taxii2-client: discovery → API root → collections → add (status) → page with ``next``
while another client adds → page with ``added_after`` → versions → manifest → delete.
stix2: ``TAXIICollectionSource`` (query, get, all_versions) and ``TAXIICollectionSink``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import stix2
from requests.exceptions import HTTPError
from stix2 import Filter, TAXIICollectionSink, TAXIICollectionSource
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from rengo.intel.collections import SHARED
from tests.helpers import JOINT, WARD_A
from tests.intel.helpers import TAXII, TAXII_ROOT, indicator, taxii_headers


def _shared(server_url: str, token: str) -> Collection:
    server = Server(f"{server_url}/taxii2/", user="rengo", password=token)
    assert server.title.startswith("rengo")
    root: ApiRoot = server.api_roots[0]
    assert root.url.endswith(TAXII_ROOT)
    assert TAXII in root.versions and root.max_content_length > 0
    by_alias = {c.alias: c for c in root.collections}
    assert {"shared", "feeds", "advisories"} <= set(by_alias)
    return by_alias["shared"]


def _post(url: str, token: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    response = httpx.post(url, json={"objects": objects}, headers=taxii_headers(token), timeout=30)
    assert response.status_code == 202, response.text
    return dict(response.json())


def test_taxii2_client_end_to_end(live_server: Any, tokens: Callable[..., str]) -> None:
    joint = tokens(JOINT, "soc_analyst")
    ward = tokens(WARD_A, "ward_it")
    collection = _shared(live_server.url, joint)
    assert collection.can_read and collection.can_write
    # A ward reads the shared collection but does not write it (it shares via submissions).
    ward_view = _shared(live_server.url, ward)
    assert ward_view.can_read and not ward_view.can_write

    first_batch = [indicator(f"198.51.100.{i}") for i in range(60)]
    status = collection.add_objects({"objects": first_batch})
    assert status.status == "complete"
    assert status.success_count == 60 and status.failure_count == 0

    # Many objects in one POST got distinct, increasing date_added values.
    manifest = [
        m
        for page in as_pages(collection.get_manifest, per_request=1000)
        for m in page.get("objects", [])
    ]
    stamps = [m["date_added"] for m in manifest]
    assert len(set(stamps)) == len(stamps) == 60 and stamps == sorted(stamps)

    # Page with `next` (limit 7) while another client keeps adding.
    objects_url = collection.objects_url
    added_meanwhile: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        for round_ in range(8):
            batch = [indicator(f"203.0.113.{round_ * 10 + k}") for k in range(10)]
            _post(objects_url, joint, batch)
            added_meanwhile.extend(o["id"] for o in batch)
            if stop.is_set():
                return

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[str] = []
    for page in as_pages(ward_view.get_objects, per_request=7):
        seen.extend(o["id"] for o in page.get("objects", []))
    stop.set()
    thread.join(60)
    assert len(seen) == len(set(seen)), "an object was returned twice"
    manifest = [
        m
        for page in as_pages(collection.get_manifest, per_request=1000)
        for m in page.get("objects", [])
    ]
    by_id = {m["id"]: m["date_added"] for m in manifest}
    last_seen = max(by_id[i] for i in seen)
    expected = {i for i, added in by_id.items() if added <= last_seen}
    assert set(seen) == expected, "an object added before the last page was skipped"

    # Page with added_after, taking X-TAXII-Date-Added-Last as the next cursor.
    cursor, via_added_after = None, []
    while True:
        params = {"limit": "9", **({"added_after": cursor} if cursor else {})}
        response = httpx.get(objects_url, params=params, headers=taxii_headers(ward), timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"] == TAXII
        objects = response.json().get("objects", [])
        if not objects:
            break
        via_added_after.extend(o["id"] for o in objects)
        cursor = response.headers["X-TAXII-Date-Added-Last"]
        assert response.headers["X-TAXII-Date-Added-First"] <= cursor
    assert sorted(via_added_after) == sorted(by_id), "added_after paging must see every object once"

    # Versions: a newer version of one indicator; last, first, all and a timestamp.
    original = first_batch[0]
    newer = {**original, "modified": "2024-06-01T00:00:00.000Z", "name": "renamed"}
    assert collection.add_objects({"objects": [newer]}).success_count == 1
    versions = collection.object_versions(original["id"])["versions"]
    assert versions == ["2024-05-01T09:00:00.000Z", "2024-06-01T00:00:00.000Z"]
    assert collection.get_object(original["id"])["objects"][0]["name"] == "renamed"
    first = collection.get_object(original["id"], version="first")["objects"][0]
    assert first["name"] == original["name"]
    both = collection.get_object(original["id"], version="all")["objects"]
    assert len(both) == 2
    exact = collection.get_object(original["id"], version="2024-05-01T09:00:00.000Z")["objects"]
    assert [o["modified"] for o in exact] == ["2024-05-01T09:00:00.000Z"]
    # Sending the same version again is accepted and stores nothing new.
    again = collection.add_objects({"objects": [newer]})
    assert again.success_count == 1
    assert len(collection.get_object(original["id"], version="all")["objects"]) == 2

    # Filters: match[type], match[id] (several), match[spec_version].
    ids = [first_batch[1]["id"], first_batch[2]["id"]]
    found = collection.get_objects(id=",".join(ids))["objects"]
    assert sorted(o["id"] for o in found) == sorted(ids)
    assert collection.get_objects(type="malware").get("objects") is None
    assert len(collection.get_objects(spec_version="2.1", limit=5)["objects"]) == 5

    # Delete one version, then the whole object.
    collection.delete_object(original["id"], version="2024-06-01T00:00:00.000Z")
    assert collection.object_versions(original["id"])["versions"] == ["2024-05-01T09:00:00.000Z"]
    assert collection.get_object(original["id"])["objects"][0]["name"] == original["name"]
    collection.delete_object(original["id"])
    with pytest.raises(HTTPError) as missing:
        collection.get_object(original["id"])
    assert missing.value.response.status_code == 404
    assert missing.value.response.headers["content-type"] == TAXII


def test_stix2_datastore_over_taxii(live_server: Any, tokens: Callable[..., str]) -> None:
    joint = tokens(JOINT, "soc_analyst")
    collection = Collection(
        f"{live_server.url}/taxii2/rengo/collections/{SHARED}/", user="x", password=joint
    )
    sink = TAXIICollectionSink(collection)
    malware = stix2.Malware(name="Emotet", is_family=True, object_marking_refs=[stix2.TLP_GREEN])
    ioc = stix2.Indicator(
        name="Emotet C2",
        pattern="[ipv4-addr:value = '192.0.2.66']",
        pattern_type="stix",
        object_marking_refs=[stix2.TLP_GREEN],
    )
    relation = stix2.Relationship(ioc, "indicates", malware, object_marking_refs=[stix2.TLP_GREEN])
    sink.add([malware, ioc, relation])
    newer = ioc.new_version(name="Emotet C2 (confirmed)")
    sink.add(newer)

    source = TAXIICollectionSource(collection)
    indicators = source.query([Filter("type", "=", "indicator")])
    assert [i.name for i in indicators] == ["Emotet C2 (confirmed)"]
    assert source.get(malware.id).name == "Emotet"
    assert len(source.all_versions(ioc.id)) == 2
    related = source.related_to(malware)
    assert ioc.id in {r.id for r in related}
