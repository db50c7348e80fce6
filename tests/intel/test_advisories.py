"""Advisories: published as STIX to all or chosen wards, acknowledged and applied per ward."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.intel.collections import ADVISORIES
from tests.helpers import JOINT, WARD_A, WARD_B, bearer
from tests.intel.helpers import TAXII_ROOT, taxii_headers

WARD_C = "131032"
ADVISORY = {
    "title": "Ivanti Connect Secure の脆弱性悪用",
    "summary": "CVE-2025-0282 is exploited against SSL-VPN appliances of municipalities.",
    "countermeasures": "1. Apply the vendor patch 22.7R2.5. 2. Run the integrity checker. 3. Block the addresses below.",
    "severity": "critical",
    "tlp": "amber",
    "indicator_values": ["203.0.113.66", "ivanti-c2.example"],
}


def test_advisory_to_chosen_wards_and_who_applied_it(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    joint = tokens(JOINT, "soc_analyst")
    body = {**ADVISORY, "wards": [WARD_A, WARD_B]}
    assert (
        client.post(
            "/api/v1/intel/advisories", json=body, headers=bearer(tokens(WARD_A, "ward_it"))
        ).status_code
        == 403
    )
    created = client.post("/api/v1/intel/advisories", json=body, headers=bearer(joint))
    assert created.status_code == 201, created.text
    advisory = created.json()
    # STIX: a report with the course-of-action and the indicators, AMBER to wards A and B only.
    url = f"{TAXII_ROOT}collections/{ADVISORIES}/objects/"
    seen_a = client.get(url, headers=taxii_headers(tokens(WARD_A, "ward_it"))).json()["objects"]
    by_type = {}
    for obj in seen_a:
        by_type.setdefault(obj["type"], []).append(obj)
    report = by_type["report"][0]
    assert (
        report["id"] == advisory["report_id"]
        and advisory["course_of_action_id"] in report["object_refs"]
    )
    assert by_type["course-of-action"][0]["description"].startswith("1. Apply the vendor patch")
    assert {r["relationship_type"] for r in by_type["relationship"]} == {"mitigates"}
    assert len(by_type["indicator"]) == 2
    seen_c = (
        client.get(url, headers=taxii_headers(tokens(WARD_C, "ward_it"))).json().get("objects", [])
    )
    assert {o["type"] for o in seen_c} == {"marking-definition"}  # what TLP:AMBER means is public
    # Ward C is no recipient: the advisory does not exist for it.
    assert (
        client.get(
            f"/api/v1/intel/advisories/{advisory['id']}", headers=bearer(tokens(WARD_C, "ward_it"))
        ).status_code
        == 404
    )

    ward_a = tokens(WARD_A, "ward_it")
    ack = client.post(
        f"/api/v1/intel/advisories/{advisory['id']}/respond",
        json={"acknowledged": True},
        headers=bearer(ward_a),
    )
    assert (
        ack.status_code == 200
        and ack.json()["acknowledged_at"]
        and ack.json()["applied_at"] is None
    )
    applied = client.post(
        f"/api/v1/intel/advisories/{advisory['id']}/respond",
        json={"applied": True, "note": "patched both appliances"},
        headers=bearer(ward_a),
    )
    assert applied.json()["applied_at"]
    twice = client.post(
        f"/api/v1/intel/advisories/{advisory['id']}/respond",
        json={"applied": True},
        headers=bearer(ward_a),
    )
    assert twice.status_code == 409
    # A ward cannot answer for another ward.
    other = client.post(
        f"/api/v1/intel/advisories/{advisory['id']}/respond",
        json={"applied": True, "ward": WARD_B},
        headers=bearer(ward_a),
    )
    assert other.status_code == 404

    detail = client.get(f"/api/v1/intel/advisories/{advisory['id']}", headers=bearer(joint)).json()
    assert (detail["recipients"], detail["acknowledged"], detail["applied"]) == (2, 1, 1)
    assert detail["not_applied"] == [WARD_B]
    mine = client.get(
        f"/api/v1/intel/advisories/{advisory['id']}", headers=bearer(tokens(WARD_B, "ward_it"))
    ).json()
    assert [w["ward"] for w in mine["wards"]] == [WARD_B]
    listed = client.get("/api/v1/intel/advisories", headers=bearer(joint)).json()
    assert [(a["recipients"], a["applied"]) for a in listed] == [(2, 1)]


def test_advisory_to_all_wards_rejects_red(client: TestClient, tokens: Callable[..., str]) -> None:
    joint = tokens(JOINT, "soc_analyst")
    red = client.post(
        "/api/v1/intel/advisories", json={**ADVISORY, "tlp": "red"}, headers=bearer(joint)
    )
    assert red.status_code == 422 and "tlp" in red.json()["problems"][0]["location"]
    created = client.post(
        "/api/v1/intel/advisories", json={**ADVISORY, "tlp": "green"}, headers=bearer(joint)
    ).json()
    assert created["recipients"] == 23
    listed = client.get(
        "/api/v1/intel/advisories", headers=bearer(tokens(WARD_C, "ward_it"))
    ).json()
    assert [(a["id"], a["recipients"]) for a in listed] == [(created["id"], 1)]


def test_recipient_wards_it_staff_are_mailed(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    """Through the CSIRT's notification outbox: IT staff of recipient wards only."""
    from sqlalchemy import select

    from rengo.core.identity import Passwords, create_user
    from rengo.notify.models import Delivery

    with env.db.session() as session:
        passwords = Passwords.from_settings(env.settings)
        for name, ward, role in (
            ("it-a", WARD_A, "ward_it"),
            ("it-c", WARD_C, "ward_it"),
            ("fin-a", WARD_A, "ward_finance"),
        ):
            create_user(
                session,
                passwords,
                username=name,
                password="correct horse battery",  # passes the password policy
                tenant=ward,
                role=role,
                email=f"{name}@city.example.jp",
            )
    body = {**ADVISORY, "wards": [WARD_A, WARD_B]}
    created = client.post(
        "/api/v1/intel/advisories", json=body, headers=bearer(tokens(JOINT, "soc_analyst"))
    )
    assert created.status_code == 201
    with env.db.session() as session:
        mails = session.scalars(select(Delivery).where(Delivery.topic == "intel.advisory")).all()
        assert [(m.recipient, m.tenant, m.channel) for m in mails] == [
            ("it-a@city.example.jp", WARD_A, "email")
        ]
        assert (
            mails[0].subject.startswith("【注意喚起・critical】")
            and f"/intel/advisories/{created.json()['id']}" in mails[0].link
        )


def test_a_critical_advisory_pages_the_recipient_wards_contact_teams(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    """Critical advisories also page each recipient ward's on-call contact team."""
    from sqlalchemy import select

    from rengo.notify.models import OnCallPage, OnCallTeam

    with env.db.session() as session:
        for ward in (WARD_A, WARD_C):
            session.add(OnCallTeam(tenant=ward, name=f"contact {ward}", kind="ward_contact"))
    body = {**ADVISORY, "wards": [WARD_A, WARD_B]}
    created = client.post(
        "/api/v1/intel/advisories", json=body, headers=bearer(tokens(JOINT, "soc_analyst"))
    )
    assert created.status_code == 201
    with env.db.session() as session:
        paged = session.execute(
            select(OnCallTeam.tenant, OnCallPage.subject).join(
                OnCallPage, OnCallPage.team_id == OnCallTeam.id
            )
        ).all()
    assert [tenant for tenant, _ in paged] == [WARD_A]
    assert paged[0][1].startswith("【注意喚起・critical】")
