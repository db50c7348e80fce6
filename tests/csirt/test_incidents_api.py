"""Incidents over HTTP: opening them, the life cycle and its rules, tenancy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rengo.core.clock import FakeClock
from tests.csirt.conftest import AlertBook
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]


def test_open_from_alerts_takes_wards_times_and_indicators(
    api: Api, alert_book: AlertBook, clock: FakeClock
) -> None:
    now = clock.now()
    alert_book.add(
        "AL-1",
        WARD_A,
        now - timedelta(minutes=30),
        title="C2 beacon to 203.0.113.7",
        first_event_at=now - timedelta(minutes=50),
        event_ids=("e1", "e2"),
        indicators=(("domain", "evil[.]example.com"), ("ipv4", "10.1.2.3")),
    )
    alert_book.add("AL-2", WARD_A, now - timedelta(minutes=20), title="Same beacon")
    response = api(
        "POST", "/api/v1/incidents", json={"alert_ids": ["AL-1", "AL-2"], "category": "ransomware"}
    )
    assert response.status_code == 201, response.text
    incident = response.json()
    assert incident["wards"] == [WARD_A]
    assert incident["title"] == "C2 beacon to 203.0.113.7 ほか1件"
    assert incident["detected_at"].startswith((now - timedelta(minutes=30)).isoformat()[:19])
    assert incident["mttd_minutes"] == 20.0
    assert incident["alert_ids"] == ["AL-1", "AL-2"]
    assert alert_book.marked == {"AL-1": incident["ref"], "AL-2": incident["ref"]}
    found = api("GET", f"/api/v1/incidents/{incident['id']}/indicators").json()
    assert {(i["kind"], i["value"]) for i in found} == {
        ("domain", "evil.example.com"),
        ("ipv4", "203.0.113.7"),
    }
    with_internal = api(
        "GET", f"/api/v1/incidents/{incident['id']}/indicators?internal=true"
    ).json()
    assert ("ipv4", "10.1.2.3", True) in {
        (i["kind"], i["value"], i["internal"]) for i in with_internal
    }
    kinds = [
        e["kind"]
        for e in api("GET", f"/api/v1/incidents/{incident['id']}/timeline").json()["items"]
    ]
    assert kinds == ["event", "alert", "alert", "status"]  # in time order, event first
    again = api("POST", "/api/v1/incidents", json={"alert_ids": ["AL-2"], "category": "other"})
    assert again.status_code == 422
    assert "already in" in again.json()["problems"][0]["message"]


def test_alert_of_another_ward_is_not_usable(
    api: Api, alert_book: AlertBook, clock: FakeClock
) -> None:
    alert_book.add("AL-B", WARD_B, clock.now())
    response = api("POST", "/api/v1/incidents", json={"alert_ids": ["AL-B"], "category": "other"})
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"location": "field alert_ids", "message": "no alert 'AL-B' visible to you"}
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no SQL involved
def test_an_unknown_alert_id_gets_a_clear_answer(api: Api) -> None:
    response = api("POST", "/api/v1/incidents", json={"alert_ids": ["X"], "category": "other"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["message"] == "no alert 'X' visible to you"


def test_bad_input_names_the_field(api: Api, clock: FakeClock) -> None:
    future = (clock.now() + timedelta(days=1)).isoformat()
    response = api(
        "POST",
        "/api/v1/incidents",
        json={"title": "x", "category": "meteor", "detected_at": future},
    )
    assert response.status_code == 422
    assert any(p["location"].endswith("category") for p in response.json()["problems"])
    response = api(
        "POST", "/api/v1/incidents", json={"title": "x", "category": "dos", "detected_at": future}
    )
    assert response.json()["problems"] == [
        {"location": "field detected_at", "message": "lies in the future"}
    ]
    response = api(
        "POST", "/api/v1/incidents", ward="joint", json={"title": "x", "category": "dos"}
    )
    assert response.json()["problems"][0]["location"] == "field wards"


def test_life_cycle_with_its_rules(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock
) -> None:
    incident = open_incident()
    url = f"/api/v1/incidents/{incident['id']}"
    assert api("POST", f"{url}/transitions", json={"to": "triage", "reason": ""}).status_code == 422
    clock.advance(minutes=7)
    moved = api(
        "POST", f"{url}/transitions", json={"to": "triage", "reason": "looking at it"}
    ).json()
    assert moved["status"] == "triage" and moved["mtta_minutes"] == 7.0
    refused = api("POST", f"{url}/transitions", json={"to": "closed", "reason": "done"})
    assert refused.status_code == 422
    assert {p["location"] for p in refused.json()["problems"]} == {
        "field cause",
        "field report_summary",
    }
    etag = api("GET", url).headers["ETag"]
    patched = api(
        "PATCH",
        url,
        json={"cause": "VPNの脆弱性", "report_summary": "遮断して復旧"},
        headers={"If-Match": etag},
    )
    assert patched.status_code == 200
    stale = api("PATCH", url, json={"title": "new"}, headers={"If-Match": etag})
    assert stale.status_code == 409
    assert api("POST", f"{url}/review", json={"notes": "n", "lessons": "l"}).status_code == 409
    closed = api("POST", f"{url}/transitions", json={"to": "closed", "reason": "resolved"}).json()
    assert closed["status"] == "closed" and closed["closed_at"] and closed["recovered_at"]
    assert (
        api("POST", f"{url}/transitions", json={"to": "closed", "reason": "again"}).status_code
        == 409
    )
    assert api("POST", f"{url}/review", json={"notes": "遅れた", "lessons": "MFA"}).json()[
        "reviewed_at"
    ]
    statuses = [e for e in api("GET", f"{url}/timeline?kind=status").json()["items"]]
    assert [e["detail"].get("to") for e in statuses] == ["new", "triage", "closed"]
    assert statuses[1]["detail"]["reason"] == "looking at it" and statuses[1]["actor"].startswith(
        "csirt@"
    )


def test_a_ward_sees_its_incidents_and_the_joint_centre_all(
    api: Api, open_incident: Callable[..., dict[str, Any]]
) -> None:
    mine = open_incident(WARD_A, role="ward_it", title="A の件")
    theirs = open_incident(WARD_B, role="ward_it", title="B の件")
    shared = open_incident("joint", wards=[WARD_A, WARD_B], title="両区の件")
    listed = api("GET", "/api/v1/incidents", role="ward_it").json()
    assert {i["id"] for i in listed["items"]} == {mine["id"], shared["id"]} and listed["total"] == 2
    assert api("GET", f"/api/v1/incidents/{theirs['id']}", role="ward_it").status_code == 404
    assert (
        api("GET", f"/api/v1/incidents/{theirs['id']}/timeline", role="ward_it").status_code == 404
    )
    assert (
        api(
            "POST", f"/api/v1/incidents/{theirs['id']}/notes", role="ward_it", json={"text": "x"}
        ).status_code
        == 404
    )
    assert api("GET", f"/api/v1/incidents?ward={WARD_B}", role="ward_it").status_code == 404
    assert (
        api("GET", f"/api/v1/incidents/{shared['id']}", ward=WARD_B, role="ward_it").status_code
        == 200
    )
    everything = api("GET", "/api/v1/incidents", ward="joint").json()
    assert everything["total"] == 3
    api(
        "PATCH",
        f"/api/v1/incidents/{mine['id']}",
        ward="joint",
        json={"cause": "c", "report_summary": "r"},
    )
    api(
        "POST",
        f"/api/v1/incidents/{mine['id']}/transitions",
        ward="joint",
        json={"to": "closed", "reason": "fp"},
    )
    still_open = api("GET", f"/api/v1/incidents?open=true&ward={WARD_A}", ward="joint").json()
    assert [i["id"] for i in still_open["items"]] == [shared["id"]] and still_open["total"] == 1
    executive = api(
        "PATCH", f"/api/v1/incidents/{mine['id']}", role="executive", json={"title": "x"}
    )
    assert executive.status_code == 403
    finance = api("GET", "/api/v1/incidents", role="ward_finance")
    assert finance.status_code == 403


def test_sharing_with_another_ward_and_assets(
    api: Api, open_incident: Callable[..., dict[str, Any]], env: Any
) -> None:
    from rengo.assets.models import Asset

    with env.db.session() as session:
        asset = Asset(
            tenant=WARD_B, kind="system", name="B区 住基", location="on_premises", confidentiality=3
        )
        session.add(asset)
        session.flush()
        asset_id = asset.id
    incident = open_incident(WARD_A, title="メール誤送信")
    url = f"/api/v1/incidents/{incident['id']}"
    wrong = api("PATCH", url, json={"asset_ids": [asset_id]})
    assert wrong.status_code == 422
    shared = api("PATCH", url, json={"wards": [WARD_A, WARD_B]}).json()
    assert shared["wards"] == [WARD_A, WARD_B]
    assert shared["severity"] == "high"  # two wards raise impact to 3 (urgency 2)
    assert api("GET", url, ward=WARD_B, role="ward_it").status_code == 200
    assert api("PATCH", url, json={"wards": [WARD_B]}).status_code == 422
    linked = api("PATCH", url, ward="joint", json={"asset_ids": [asset_id]}).json()
    assert linked["asset_ids"] == [asset_id]


def test_merge_keeps_the_earliest_times_and_split_moves_alerts(
    api: Api, alert_book: AlertBook, clock: FakeClock
) -> None:
    t0 = clock.now()
    alert_book.add("M-1", WARD_A, t0 - timedelta(hours=2), indicators=(("ipv4", "198.51.100.1"),))
    alert_book.add("M-2", WARD_A, t0 - timedelta(hours=1))
    alert_book.add("M-3", WARD_B, t0 - timedelta(minutes=10))
    first = api(
        "POST",
        "/api/v1/incidents",
        ward="joint",
        json={"alert_ids": ["M-1"], "category": "phishing"},
    ).json()
    second = api(
        "POST",
        "/api/v1/incidents",
        ward="joint",
        json={"alert_ids": ["M-2", "M-3"], "category": "phishing"},
    ).json()
    merged = api(
        "POST",
        f"/api/v1/incidents/{second['id']}/merge",
        ward="joint",
        json={"incident_ids": [first["id"]], "reason": "same campaign"},
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["alert_ids"] == ["M-1", "M-2", "M-3"] and body["wards"] == [WARD_A, WARD_B]
    assert body["detected_at"][:16] == (t0 - timedelta(hours=2)).isoformat()[:16]
    old = api("GET", f"/api/v1/incidents/{first['id']}", ward="joint").json()
    assert old["status"] == "closed" and old["merged_into_id"] == second["id"]
    indicators = api("GET", f"/api/v1/incidents/{second['id']}/indicators", ward="joint").json()
    assert [i["value"] for i in indicators] == ["198.51.100.1"]
    split = api(
        "POST",
        f"/api/v1/incidents/{second['id']}/split",
        ward="joint",
        json={"alert_ids": ["M-3"], "title": "B区の別件", "reason": "different sender"},
    )
    assert split.status_code == 201, split.text
    new = split.json()
    assert new["alert_ids"] == ["M-3"] and new["wards"] == [WARD_B] and new["status"] == "triage"
    left = api("GET", f"/api/v1/incidents/{second['id']}", ward="joint").json()
    assert left["alert_ids"] == ["M-1", "M-2"]
    nothing_left = api(
        "POST",
        f"/api/v1/incidents/{second['id']}/split",
        ward="joint",
        json={"alert_ids": ["M-1", "M-2"], "title": "x", "reason": "y"},
    )
    assert nothing_left.status_code == 422


def test_timeline_pages_with_a_keyset_cursor(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock
) -> None:
    incident = open_incident()
    url = f"/api/v1/incidents/{incident['id']}"
    for n in range(5):
        clock.advance(seconds=1)
        api("POST", f"{url}/notes", json={"text": f"note {n}"})
    first = api("GET", f"{url}/timeline?limit=3").json()
    assert [e["summary"] for e in first["items"]][1:] == ["note 0", "note 1"]
    rest = api("GET", f"{url}/timeline", params={"limit": 3, "after": first["next_after"]}).json()
    assert [e["summary"] for e in rest["items"]] == ["note 2", "note 3", "note 4"]
    newest = api("GET", f"{url}/timeline?limit=2&order=desc").json()
    older = api(
        "GET",
        f"{url}/timeline",
        params={"limit": 2, "order": "desc", "after": newest["next_after"]},
    ).json()
    assert [e["summary"] for e in older["items"]] == ["note 2", "note 1"]
    assert api("GET", f"{url}/timeline?after=garbage").status_code == 422
