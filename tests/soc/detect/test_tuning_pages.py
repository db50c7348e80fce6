"""Pages of rule tuning and suppressions: a ward tunes its own, in Japanese, over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from tests.helpers import WARD_A, WARD_B, bearer

SPRAY = "SSL-VPN password spraying"


def test_ward_switches_a_rule_off_for_itself(
    client: TestClient, env: Runtime, login: Any, tokens: Any
) -> None:
    csrf = login(client, WARD_A, "ward_it")
    page = client.get("/soc/rules", params={"q": "spraying"})
    assert page.status_code == 200 and "検知ルール" in page.text and SPRAY in page.text
    assert "Encoded PowerShell" not in page.text  # the search narrows the list
    rule_id = page.text.split('name="rule_id" value="')[1].split('"')[0]
    saved = client.post(
        "/soc/rules/setting",
        data={
            "csrf_token": csrf,
            "rule_id": rule_id,
            "level": "low",
            "note": "pen test until Friday",
            "back": "/soc/rules?tuned=1",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/soc/rules?tuned=1"
    tuned = client.get("/soc/rules", params={"tuned": "1"}).text
    assert SPRAY in tuned and "無効" in tuned and "pen test until Friday" in tuned
    settings = client.get("/api/v1/soc/rule-settings", headers=bearer(tokens(WARD_A, "ward_it")))
    assert [(s["ward"], s["rule_id"], s["enabled"], s["level"]) for s in settings.json()] == [
        (WARD_A, rule_id, False, "low")
    ]
    # Another ward's settings are not this ward's to read or change.
    assert client.get("/soc/rules", params={"ward": WARD_B}).status_code == 403
    other = client.post(
        "/soc/rules/setting", data={"csrf_token": csrf, "rule_id": rule_id, "ward": WARD_B}
    )
    assert other.status_code == 403
    no_csrf = client.post("/soc/rules/setting", data={"rule_id": rule_id})
    assert no_csrf.status_code == 403


def test_joint_centre_tunes_every_ward(client: TestClient, env: Runtime, login: Any) -> None:
    csrf = login(client, "joint", "soc_analyst")
    page = client.get("/soc/rules", params={"ward": "joint", "q": "spraying"})
    rule_id = page.text.split('name="rule_id" value="')[1].split('"')[0]
    client.post(
        "/soc/rules/setting", data={"csrf_token": csrf, "rule_id": rule_id, "ward": "joint"}
    )
    ward_view = client.get("/soc/rules", params={"ward": WARD_B, "q": "spraying"}).text
    assert "全区:" in ward_view and "無効" in ward_view  # shown beside the ward's own state
    invalid = client.post(
        "/soc/rules/setting",
        data={
            "csrf_token": csrf,
            "rule_id": rule_id,
            "ward": "joint",
            "enabled": "on",
            "level": "extreme",
        },
    )
    assert invalid.status_code == 422 and "level" in invalid.text


def test_suppressions_created_listed_and_ended(
    client: TestClient, app: Any, env: Runtime, login: Any
) -> None:
    tomorrow = (env.clock.now() + timedelta(days=1)).strftime("%Y-%m-%d")
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as ward_b:
        csrf_b = login(ward_b, WARD_B, "ward_it")
        ward_b.post(
            "/soc/suppressions",
            data={
                "csrf_token": csrf_b,
                "field": "host",
                "value": "b-scanner",
                "reason": "B's vulnerability scanner",
                "expires_on": tomorrow,
            },
        )
        (b_id,) = [
            line.split("/soc/suppressions/")[1].split("/")[0]
            for line in ward_b.get("/soc/suppressions").text.splitlines()
            if "/soc/suppressions/" in line and "/end" in line
        ]
    csrf = login(client, WARD_A, "ward_it")
    made = client.post(
        "/soc/suppressions",
        data={
            "csrf_token": csrf,
            "rule_id": "rule-x",
            "field": "src_ip",
            "value": "192.0.2.9",
            "reason": "lab network",
            "expires_on": tomorrow,
        },
    )
    assert made.status_code == 303
    listing = client.get("/soc/suppressions").text
    assert "抑止設定" in listing and "lab network" in listing and "192.0.2.9" in listing
    assert "b-scanner" not in listing  # ward B's stays B's
    assert (
        client.post(f"/soc/suppressions/{b_id}/end", data={"csrf_token": csrf}).status_code == 404
    )
    no_reason = client.post(
        "/soc/suppressions",
        data={"csrf_token": csrf, "rule_id": "r", "reason": " ", "expires_on": tomorrow},
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    past = client.post(
        "/soc/suppressions",
        data={"csrf_token": csrf, "rule_id": "r", "reason": "x", "expires_on": "2000-01-01"},
    )
    assert past.status_code == 422 and "expires_at" in past.text
    a_id = listing.split("/soc/suppressions/")[1].split("/")[0]
    ended = client.post(f"/soc/suppressions/{a_id}/end", data={"csrf_token": csrf})
    assert ended.status_code == 303
    assert "lab network" not in client.get("/soc/suppressions").text
    assert "期限切れ" in client.get("/soc/suppressions", params={"all": "1"}).text
