"""The CSIRT's pages over HTTP: list, open, work on an incident, on call, costs, ack link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.clock import FakeClock
from tests.csirt.conftest import AlertBook
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]


def test_open_and_work_on_an_incident_in_the_ui(
    client: TestClient, login: Callable[..., str], alert_book: AlertBook, clock: FakeClock, api: Api
) -> None:
    alert_book.add("UI-1", WARD_A, clock.now(), title="不審なPowerShell実行")
    csrf = login(client, WARD_A, "csirt")
    assert "新規インシデント" in client.get("/incidents/new").text
    bad = client.post(
        "/incidents/new", data={"csrf_token": csrf, "category": "ransomware", "alert_ids": "NOPE"}
    )
    assert bad.status_code == 422 and "NOPE" in bad.text
    created = client.post(
        "/incidents/new", data={"csrf_token": csrf, "category": "ransomware", "alert_ids": "UI-1"}
    )
    assert created.status_code == 303
    url = created.headers["location"]
    page = client.get(url).text
    assert "不審なPowerShell実行" in page and "UI-1" in page
    moved = client.post(
        f"{url}/transition", data={"csrf_token": csrf, "to": "closed", "reason": "x"}
    )
    assert moved.status_code == 422 and "cause" in moved.text
    noted = client.post(
        f"{url}/notes", data={"csrf_token": csrf, "text": "C2: 198.51.100.77", "kind": "note"}
    )
    assert noted.status_code == 303
    assert "198.51.100.77" in client.get(url).text
    listing = client.get("/incidents").text
    assert url.rsplit("/", 1)[1] in listing and "不審なPowerShell実行" in listing
    partial = client.get("/incidents?q=PowerShell", headers={"HX-Request": "true"}).text
    assert "<html" not in partial and "不審なPowerShell実行" in partial
    english = client.get(url + "?lang=en").text
    assert "Containment actions" in english
    assert "封じ込め対処" in client.get(url + "?lang=ja").text
    other = api(
        "POST", "/api/v1/incidents", ward=WARD_B, json={"title": "B", "category": "dos"}
    ).json()
    assert client.get(f"/incidents/{other['id']}").status_code == 404


def test_ack_link_page_asks_before_acknowledging(
    client: TestClient, env: Any, make_user: Callable[..., str], clock: FakeClock
) -> None:
    from rengo.core.permissions import SYSTEM
    from rengo.csirt import oncall

    person = make_user("joint", "csirt")
    with env.db.session() as session:
        team = oncall.create_team(
            session, SYSTEM, tenant="joint", name="T", kind="csirt", settings=env.settings
        )
        oncall.add_shifts(
            session, SYSTEM, team.id, usernames=[person], start=clock.now(), shift_hours=24, count=1
        )
        sent = oncall.page_team(
            session, team, subject="応答確認", body="", settings=env.settings, now=clock.now()
        )
        token, page_id = sent.ack_token, sent.page.id
    shown = client.get(f"/oncall/ack/{token}")
    assert shown.status_code == 200 and "応答確認" in shown.text and "対応します" in shown.text
    with env.db.session() as session:
        assert session.get(oncall.Page, page_id).status == "open"  # a GET never acknowledges
    done = client.post(f"/oncall/ack/{token}")
    assert done.status_code == 200 and f"{person} (link)" in done.text
    assert client.get("/oncall/ack/not-a-token").status_code == 404


def test_costs_and_oncall_pages_render(client: TestClient, login: Callable[..., str]) -> None:
    login(client, "joint", "admin")
    assert client.get("/oncall").status_code == 200
    costs = client.get("/csirt/costs")
    assert costs.status_code == 200 and "データなし" in costs.text
    assert re.search(r"<h1>[^<]+</h1>", costs.text)
