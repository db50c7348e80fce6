"""Feeds: STIX, MISP (manifest + events) and CSV imports with quarantine; TAXII pulls."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.intel import feeds
from rengo.intel.collections import FEEDS, SHARED
from rengo.intel.models import Feed, IndicatorValue, IntelObject, QuarantinedRecord
from tests.helpers import JOINT, WARD_A, bearer
from tests.intel.helpers import indicator, taxii_headers

MISP_EVENT = {
    "Event": {
        "uuid": "5f1c2c9e-8a4b-4c1e-9d1a-0a1b2c3d4e5f",
        "info": "Emotet wave against municipalities",
        "timestamp": "1714550400",
        "Tag": [{"name": "tlp:amber"}],
        "Attribute": [
            {
                "uuid": "a1",
                "type": "ip-dst|port",
                "category": "Network activity",
                "value": "203.0.113.80|443",
                "to_ids": True,
            },
            {
                "uuid": "a2",
                "type": "domain",
                "category": "Network activity",
                "value": "emotet-c2.example",
                "to_ids": True,
            },
            {
                "uuid": "a3",
                "type": "filename|sha256",
                "category": "Payload delivery",
                "value": "invoice.doc|" + "ab" * 32,
                "to_ids": True,
                "Tag": [{"name": "tlp:green"}],
            },
            {
                "uuid": "a4",
                "type": "comment",
                "category": "Other",
                "value": "seen at 9am",
                "to_ids": False,
            },
            {
                "uuid": "a5",
                "type": "ip-src",
                "category": "Network activity",
                "value": "999.1.1.1",
                "to_ids": True,
            },
        ],
        "Object": [
            {
                "Attribute": [
                    {
                        "uuid": "o1",
                        "type": "url",
                        "value": "http://emotet-c2.example/gate.php",
                        "to_ids": True,
                    }
                ]
            }
        ],
    }
}


def _values(env: Runtime) -> dict[str, IndicatorValue]:
    with env.db.session() as session:
        return {v.value: v for v in session.scalars(select(IndicatorValue))}


def test_misp_feed_folder_and_csv_import_with_dedup_and_quarantine(
    env: Runtime, tmp_path: Path
) -> None:
    folder = tmp_path / "misp-feed"
    folder.mkdir()
    uuid = MISP_EVENT["Event"]["uuid"]
    (folder / "manifest.json").write_text(
        json.dumps({uuid: {"info": "Emotet", "timestamp": "1714550400"}})
    )
    (folder / f"{uuid}.json").write_text(json.dumps(MISP_EVENT))
    now = env.clock.now()
    report = feeds.import_location(env.db, env.settings, SYSTEM, str(folder), now=now)
    assert (report.added, report.rejected) == (4, 1)
    values = _values(env)
    assert values["203.0.113.80"].tlp == "amber" and values["ab" * 32].tlp == "green"
    assert "emotet-c2.example" in values and "http://emotet-c2.example/gate.php" in values
    # Importing again stores nothing new.
    again = feeds.import_location(env.db, env.settings, SYSTEM, str(folder), now=now)
    assert (again.added, again.duplicates) == (0, 4)

    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        "indicator,comment\n203.0.113.80,same as MISP\nhxxp://phish[.]example/x,phishing\n"
        "10.0.0.1,private\n# comment line\nnonsense value\n",
        encoding="utf-8",
    )
    report = feeds.import_location(env.db, env.settings, SYSTEM, str(csv_file), now=now)
    assert (report.added, report.duplicates, report.rejected) == (2, 1, 1)
    assert f"{csv_file}:6" in report.problems[0]
    values = _values(env)
    assert "http://phish.example/x" in values
    assert values["10.0.0.1"].warning and "private" in values["10.0.0.1"].warning
    with env.db.session() as session:
        quarantined = list(session.scalars(select(QuarantinedRecord)))
    assert [q.location for q in quarantined if "list.csv" in q.location] == [f"{csv_file}:6"]
    assert any("999.1.1.1" in q.raw for q in quarantined)


def test_invalid_stix_objects_are_quarantined_with_their_place(
    env: Runtime, tmp_path: Path
) -> None:
    bundle = {
        "type": "bundle",
        "id": "bundle--2d3c8b5a-1a0e-4a7e-9a41-2f0d9c1b7e33",
        "objects": [indicator("192.0.2.1"), {**indicator("192.0.2.2"), "valid_from": "soon"}],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    report = feeds.import_location(env.db, env.settings, SYSTEM, str(path), now=env.clock.now())
    assert (report.added, report.rejected) == (1, 1)
    with env.db.session() as session:
        record = session.scalar(select(QuarantinedRecord))
    assert (
        record is not None and "property valid_from" in record.reason and "192.0.2.2" in record.raw
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    report = feeds.import_location(env.db, env.settings, SYSTEM, str(broken), now=env.clock.now())
    assert report.rejected == 1 and "not JSON" in report.problems[0]


def test_taxii_feed_is_pulled_incrementally(
    live_server: Any, env: Runtime, tokens: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our own server plays the remote TAXII 2.1 server: its shared collection feeds ours."""
    import httpx

    joint = tokens(JOINT, "soc_analyst")
    remote = f"{live_server.url}/taxii2/rengo/collections/{SHARED}/objects/"
    httpx.post(
        remote,
        json={"objects": [indicator(f"198.51.100.{i}") for i in range(5)]},
        headers=taxii_headers(joint),
    )
    monkeypatch.setenv("TEST_FEED_TOKEN", joint)
    with env.db.session() as session:
        feed = feeds.add_feed(
            session,
            SYSTEM,
            {
                "name": "partner TAXII",
                "kind": "taxii",
                "url": f"{live_server.url}/taxii2/rengo/",
                "collection": SHARED,
                "secret_env": "TEST_FEED_TOKEN",
                "default_tlp": "green",
            },
        )
        feed_id = feed.id
    first = feeds.run_feed(env.db, env.settings, feed_id, env.clock.now())
    assert first.last_status == "ok", first.last_message
    assert first.objects_total == 5 and first.cursor
    httpx.post(remote, json={"objects": [indicator("198.51.100.99")]}, headers=taxii_headers(joint))
    second = feeds.run_feed(env.db, env.settings, feed_id, env.clock.now())
    assert second.last_message.startswith("1 added")
    with env.db.session() as session:
        in_feeds = session.scalars(
            select(IntelObject.stix_id).where(IntelObject.collection_id == FEEDS)
        ).all()
        assert len(in_feeds) == 6
        assert feeds.due_feeds(session, env.clock.now()) == []
    # A wrong secret is recorded on the feed, not raised.
    monkeypatch.setenv("TEST_FEED_TOKEN", "rgo_wrong")
    failed = feeds.run_feed(env.db, env.settings, feed_id, env.clock.now())
    assert failed.last_status == "error" and "401" in failed.last_message


def test_import_api_and_feed_api_are_joint_only(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint, ward = tokens(JOINT, "soc_analyst"), tokens(WARD_A, "ward_it")
    files = {"file": ("iocs.csv", b"203.0.113.200\n", "text/csv")}
    assert client.post("/api/v1/intel/import", files=files, headers=bearer(ward)).status_code == 403
    response = client.post(
        "/api/v1/intel/import", files=files, data={"tlp": "clear"}, headers=bearer(joint)
    )
    assert response.status_code == 200 and response.json()["added"] == 1
    feed = {
        "name": "JPCERT",
        "kind": "stix",
        "url": "https://feeds.example/jpcert.json",
        "interval_minutes": 60,
    }
    assert client.post("/api/v1/intel/feeds", json=feed, headers=bearer(ward)).status_code == 403
    created = client.post("/api/v1/intel/feeds", json=feed, headers=bearer(joint))
    assert created.status_code == 201
    bad = client.post(
        "/api/v1/intel/feeds", json={**feed, "name": "x2", "kind": "ftp"}, headers=bearer(joint)
    )
    # The kind is a Literal of the request schema: the body's field is named as in any 422.
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "body kind"
    listed = client.get(
        "/api/v1/intel/indicators", params={"q": "203.0.113.200"}, headers=bearer(ward)
    ).json()
    assert [i["tlp"] for i in listed] == ["clear"]
    with_feed = client.get("/api/v1/intel/feeds", headers=bearer(joint)).json()
    assert [f["name"] for f in with_feed] == ["JPCERT"]
    assert isinstance(Feed, type)
