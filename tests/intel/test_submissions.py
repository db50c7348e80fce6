"""The sharing workflow and the anonymiser, on realistic submissions of a ward."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.identity import Passwords, create_user
from rengo.core.runtime import Runtime
from rengo.intel import validate
from rengo.intel.anonymise import JOINT_IDENTITY_ID
from rengo.intel.builders import ward_identity_id
from rengo.intel.collections import SHARED, ward_collection_id
from tests.helpers import JOINT, WARD_A, WARD_B, bearer
from tests.intel.helpers import TAXII_ROOT, taxii_headers

SHA256 = "3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea"
SENSITIVE = [
    "10.1.",
    "172.16.1.",
    "chiyoda",
    "千代田",
    "山田",
    "佐藤",
    "t-yamada",
    "h-sato",
    WARD_A,
    "sv01",
    "vpn.city",
    "Tokyo Koseki",
]
PHISHING = {
    "kind": "phishing",
    "title": "請求書を装った標的型メール (千代田区)",
    "description": "山田 太郎 (t-yamada@city.chiyoda.lg.jp) received it; the link was opened from "
    "10.1.20.31 (sv01.chiyoda.lg.local). 佐藤 花子 reported it to 千代田区 CSIRT.",
    "tlp": "green",
    "reporter": "Tokyo Koseki",
    "sender": "invoice@billing-secure.example",
    "subject": "【至急】山田 太郎 様 請求書のご確認",
    "recipients": ["t-yamada@city.chiyoda.lg.jp", "h-sato@city.chiyoda.lg.jp"],
    "urls": ["http://billing-secure.example/login", "https://vpn.city.chiyoda.lg.jp/portal"],
    "attachment_hashes": [SHA256],
    "attachment_names": ["請求書_山田.zip"],
}
ACCESS = {
    "kind": "access",
    "title": "VPN password spraying",
    "description": "Spraying against vpn.city.chiyoda.lg.jp (172.16.1.10) from abroad; 山田's account locked.",
    "tlp": "amber",
    "source_addresses": ["203.0.113.45", "198.51.100.0/28", "10.1.5.5"],
    "accounts": ["t-yamada", "h-sato"],
    "user_agents": ["Mozilla/5.0 (compatible; SprayBot/2.1)"],
    "target": "vpn.city.chiyoda.lg.jp",
    "technique": "password spraying",
}
EXTERNAL = [
    "invoice@billing-secure.example",
    "http://billing-secure.example/login",
    SHA256,
    "203.0.113.45",
    "198.51.100.0/28",
    "SprayBot/2.1",
]


@pytest.fixture
def ward_a_register(env: Runtime) -> None:
    """Ward A's network and staff, as its asset register and accounts know them."""
    with env.db.session() as session:
        session.add_all(
            [
                Asset(
                    tenant=WARD_A,
                    kind="network",
                    name="LGWAN接続系",
                    location="on_premises",
                    ip_ranges=["10.1.0.0/16", "172.16.1.0/24"],
                    hostnames=["sv01.chiyoda.lg.local"],
                    owner="佐藤 花子",
                    introduced_on=date(2020, 4, 1),
                ),
                Asset(
                    tenant=WARD_A,
                    kind="system",
                    name="SSL-VPN",
                    location="data_centre",
                    hostnames=["vpn.city.chiyoda.lg.jp"],
                    mail_domains=["city.chiyoda.lg.jp"],
                ),
            ]
        )
        create_user(
            session,
            Passwords.from_settings(env.settings),
            username="t-yamada",
            password="correct horse battery",  # passes the password policy
            tenant=WARD_A,
            role="ward_it",
            display_name="山田 太郎",
            email="t-yamada@city.chiyoda.lg.jp",
        )


def _shared_text(preview: dict[str, object]) -> str:
    return json.dumps(preview["shared"], ensure_ascii=False)


@pytest.mark.usefixtures("ward_a_register")
@pytest.mark.parametrize("report", [PHISHING, ACCESS], ids=["phishing", "access"])
def test_anonymiser_removes_the_ward_and_keeps_the_attacker(
    client: TestClient, tokens: Callable[..., str], report: dict[str, object]
) -> None:
    ward = tokens(WARD_A, "ward_it")
    created = client.post("/api/v1/intel/submissions", json=report, headers=bearer(ward))
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "awaiting_approval" and created.json()["redactions"] > 0
    preview = client.get(
        f"/api/v1/intel/submissions/{created.json()['id']}/preview", headers=bearer(ward)
    ).json()
    original = json.dumps(preview["original"], ensure_ascii=False)
    shared = _shared_text(preview)
    for term in SENSITIVE:
        if term in original:
            assert term.lower() not in shared.lower(), f"{term!r} left the ward"
    for value in EXTERNAL:
        if value in original:
            assert value in shared, f"external indicator {value!r} was lost"
    objects = preview["shared"]["objects"]
    assert all(
        o.get("created_by_ref") == JOINT_IDENTITY_ID
        for o in objects
        if "created" in o and o["type"] not in ("identity", "marking-definition")
    )
    assert ward_identity_id(WARD_A) not in shared
    original_ids = {
        o["id"] for o in preview["original"]["objects"] if o["type"] in ("indicator", "report")
    }
    assert not original_ids & {o["id"] for o in objects}, "shared ids must not link to the original"
    assert [str(p) for i, o in enumerate(objects) for p in validate.object_problems(o, i)] == []
    reasons = {r["reason"] for r in preview["redactions"]}
    assert any("ward or private address range" in r for r in reasons)


@pytest.mark.usefixtures("ward_a_register")
def test_workflow_submit_preview_redact_approve_publish(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    ward_a, ward_b = tokens(WARD_A, "ward_it"), tokens(WARD_B, "ward_it")
    joint = tokens(JOINT, "soc_analyst")
    created = client.post("/api/v1/intel/submissions", json=PHISHING, headers=bearer(ward_a)).json()
    sid = created["id"]
    # Nothing is shared before approval; the original sits in ward A's own collection only.
    shared_url = f"{TAXII_ROOT}collections/{SHARED}/objects/"
    assert client.get(shared_url, headers=taxii_headers(ward_b)).json().get("objects") is None
    own = client.get(
        f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/",
        headers=taxii_headers(ward_a),
    )
    assert len(own.json()["objects"]) >= 10
    # Other wards do not even see that it exists; the joint centre may look (audited).
    assert client.get(f"/api/v1/intel/submissions/{sid}", headers=bearer(ward_b)).status_code == 404
    assert (
        client.get(f"/api/v1/intel/submissions/{sid}/preview", headers=bearer(joint)).status_code
        == 200
    )
    with env.db.session() as session:
        reads = audit.query(session, tenants=None, action="intel.submission.read_original")
    assert {e.actor_tenant for e in reads} == {JOINT}
    # Only the submitting ward approves; the joint centre cannot approve for it.
    assert (
        client.post(
            f"/api/v1/intel/submissions/{sid}/approve", json={"version": 1}, headers=bearer(joint)
        ).status_code
        == 403
    )
    # The ward removes one more term: the preview changes, approving the old version fails.
    redacted = client.post(
        f"/api/v1/intel/submissions/{sid}/redact",
        json={"terms": ["請求書のご確認"]},
        headers=bearer(ward_a),
    )
    assert redacted.status_code == 200 and redacted.json()["submission"]["version"] == 2
    assert "請求書のご確認" not in _shared_text(redacted.json())
    stale = client.post(
        f"/api/v1/intel/submissions/{sid}/approve", json={"version": 1}, headers=bearer(ward_a)
    )
    assert stale.status_code == 409
    approved = client.post(
        f"/api/v1/intel/submissions/{sid}/approve", json={"version": 2}, headers=bearer(ward_a)
    )
    assert approved.status_code == 200 and approved.json()["state"] == "published"
    published = client.get(shared_url, headers=taxii_headers(ward_b)).json()["objects"]
    assert {o["id"] for o in published} == {o["id"] for o in redacted.json()["shared"]["objects"]}
    text = json.dumps(published, ensure_ascii=False)
    assert "chiyoda" not in text and "山田" not in text and "billing-secure.example" in text
    listed = client.get("/api/v1/intel/submissions?state=published", headers=bearer(ward_a)).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    again = client.post(
        f"/api/v1/intel/submissions/{sid}/approve", json={"version": 2}, headers=bearer(ward_a)
    )
    assert again.status_code == 409


def test_red_submission_is_kept_private(client: TestClient, tokens: Callable[..., str]) -> None:
    ward = tokens(WARD_A, "ward_it")
    body = {**ACCESS, "tlp": "red"}
    created = client.post("/api/v1/intel/submissions", json=body, headers=bearer(ward)).json()
    assert created["state"] == "kept_private"
    approve = client.post(
        f"/api/v1/intel/submissions/{created['id']}/approve",
        json={"version": 1},
        headers=bearer(ward),
    )
    assert approve.status_code == 409


def test_bad_submissions_name_the_field(client: TestClient, tokens: Callable[..., str]) -> None:
    ward = tokens(WARD_A, "ward_it")
    response = client.post(
        "/api/v1/intel/submissions",
        json={**PHISHING, "sender": "not-an-address"},
        headers=bearer(ward),
    )
    assert response.status_code == 422
    assert any("sender" in p["location"] for p in response.json()["problems"])
    bundle = {
        "kind": "bundle",
        "title": "our bundle",
        "bundle": {
            "type": "bundle",
            "id": "bundle--1",
            "objects": [{"type": "indicator", "id": "indicator--x"}],
        },
    }
    response = client.post("/api/v1/intel/submissions", json=bundle, headers=bearer(ward))
    assert response.status_code == 422
    assert any("object 0" in p["location"] for p in response.json()["problems"])
    joint = client.post(
        "/api/v1/intel/submissions", json=PHISHING, headers=bearer(tokens(JOINT, "soc_analyst"))
    )
    assert joint.status_code == 422
    finance = client.post(
        "/api/v1/intel/submissions", json=PHISHING, headers=bearer(tokens(WARD_A, "ward_finance"))
    )
    assert finance.status_code == 403


@pytest.mark.usefixtures("ward_a_register")
def test_taxii_post_to_own_collection_becomes_a_submission(
    client: TestClient, tokens: Callable[..., str], shared_data: object
) -> None:
    from pathlib import Path

    from tests.intel.helpers import load_bundle

    ward = tokens(WARD_A, "ward_it")
    objects = load_bundle(
        Path(str(shared_data)) / "stix" / "examples" / "indicators-for-C2-with-COA.json"
    )
    green = [
        {**o, "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
        for o in objects
    ]
    url = f"{TAXII_ROOT}collections/{ward_collection_id(WARD_A)}/objects/"
    assert client.post(url, json={"objects": green}, headers=taxii_headers(ward)).json()[
        "success_count"
    ] == len(green)
    listed = client.get("/api/v1/intel/submissions", headers=bearer(ward)).json()["items"]
    assert listed[0]["channel"] == "taxii" and listed[0]["state"] == "awaiting_approval"
    preview = client.get(
        f"/api/v1/intel/submissions/{listed[0]['id']}/preview", headers=bearer(ward)
    ).json()
    kept = {o["type"] for o in preview["shared"]["objects"]}
    assert {"indicator", "malware", "course-of-action", "relationship"} <= kept
    # The submitter's identity is replaced by the joint centre's.
    assert "identity--f690c992-8e7d-4b9a-9303-3312616c0220" not in _shared_text(preview)


def test_submission_straight_from_a_csirt_incident(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    """A ward's CSIRT incident's indicators become a submission; internal ones stay out."""
    from rengo.core.permissions import Principal, Role
    from rengo.csirt import incidents
    from rengo.csirt import indicators as csirt_indicators
    from rengo.csirt.schemas import IncidentCreate
    from rengo.csirt.soc_adapter import SocAlertSource

    with env.db.session() as session:
        incident = incidents.create_incident(
            session,
            Principal(WARD_A, Role.CSIRT, username="csirt-a"),
            IncidentCreate(title="C2 beacons", category="other"),
            env.settings,
            alert_source=SocAlertSource(env.clock),
            now=env.clock.now(),
        )
        found = csirt_indicators.extract(
            "beacons to 203.0.113.99 and evil-c2[.]example from 10.1.2.3"
        )
        csirt_indicators.record(session, incident.id, found, "note", env.clock.now())
        incident_id = incident.id
    ward = tokens(WARD_A, "ward_it")
    body = {"incident_id": incident_id, "title": "C2 of our incident", "tlp": "amber"}
    other = client.post(
        "/api/v1/intel/submissions/from-incident",
        json=body,
        headers=bearer(tokens(WARD_B, "ward_it")),
    )
    assert other.status_code == 404  # ward B cannot share ward A's incident
    created = client.post(
        "/api/v1/intel/submissions/from-incident", json=body, headers=bearer(ward)
    )
    assert created.status_code == 201, created.text
    assert created.json()["channel"] == "incident"
    preview = client.get(
        f"/api/v1/intel/submissions/{created.json()['id']}/preview", headers=bearer(ward)
    ).json()
    text = _shared_text(preview)
    assert "203.0.113.99" in text and "evil-c2.example" in text
    assert "10.1.2.3" not in json.dumps(preview["original"])
