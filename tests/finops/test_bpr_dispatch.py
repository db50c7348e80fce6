"""BPR support team dispatch over HTTP: a ward asks, the joint centre assigns experts,
records visits and closes with the outcome against the ward's BPR register (its hours
before and after); wards see only their own requests; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.finops import bpr
from tests.helpers import JOINT, WARD_A, WARD_B, bearer

URL = "/api/v1/finops/bpr/dispatches"


def _case(env: Runtime, ward: str) -> int:
    with env.db.session() as session:
        data = bpr.BprIn(
            ward=ward,
            business_system="jumin_kihon_daicho",
            process_name="転入届の受付",
            method="kakanai_madoguchi",
            hours_before=1200,
            hours_after=700,
            implemented_on=date(2026, 10, 1),
        )
        return bpr.create(session, SYSTEM, data).id


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_request_is_answered_by_a_team_visit_and_an_outcome(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    ward, other = bearer(tokens(WARD_A, "ward_it")), bearer(tokens(WARD_B, "admin"))
    centre = bearer(tokens(JOINT, "policy"))
    asked = client.post(
        URL,
        json={"business_system": "jumin_kihon_daicho", "topic": "窓口の待ち時間を減らしたい"},
        headers=ward,
    )
    assert asked.status_code == 201, asked.text
    item = asked.json()
    assert (item["ward"], item["status"], item["experts"]) == (WARD_A, "requested", [])
    path = f"{URL}/{item['id']}"
    # Only the joint centre runs the team; other wards do not even see the request.
    assert client.post(f"{path}/assign", json={"experts": ["x"]}, headers=ward).status_code == 403
    assert client.get(path, headers=other).status_code == 404
    assert client.get(URL, headers=other).json() == []
    experts = {"experts": ["業務改革アドバイザー 佐藤", "RPA 専門家 鈴木"]}
    assigned = client.post(f"{path}/assign", json=experts, headers=centre)
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    stranger = {"visited_on": "2026-11-10", "expert": "誰か", "hours": 3}
    bad = client.post(f"{path}/visits", json=stranger, headers=centre)
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "field expert"
    visit = {
        "visited_on": "2026-11-10",
        "expert": "RPA 専門家 鈴木",
        "hours": 3.5,
        "notes": "現状業務の棚卸し",
    }
    visited = client.post(f"{path}/visits", json=visit, headers=centre)
    assert visited.status_code == 200 and visited.json()["visits"][0]["hours"] == 3.5
    other_case = _case(env, WARD_B)
    wrong = client.post(
        f"{path}/close", json={"outcome": "x", "bpr_case_id": other_case}, headers=centre
    )
    assert wrong.status_code == 422
    case = _case(env, WARD_A)
    closed = client.post(
        f"{path}/close",
        json={"outcome": "書かない窓口を導入", "bpr_case_id": case},
        headers=centre,
    )
    assert closed.status_code == 200, closed.text
    done = client.get(path, headers=ward).json()
    assert done["status"] == "closed" and done["outcome"] == "書かない窓口を導入"
    assert (done["case"]["hours_before"], done["case"]["hours_after"]) == (1200, 700)
    again = client.post(f"{path}/visits", json=visit, headers=centre)
    assert again.status_code == 409
    assert [d["id"] for d in client.get(URL, headers=centre).json()] == [item["id"]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_bad_requests_name_the_field(client: TestClient, tokens: Callable[..., str]) -> None:
    ward = bearer(tokens(WARD_A, "ward_it"))
    bad = client.post(URL, json={"business_system": "nope", "topic": ""}, headers=ward)
    assert bad.status_code == 422
    locations = {p["location"] for p in bad.json()["problems"]}
    assert {"body business_system", "body topic"} <= locations
    centre = bearer(tokens(JOINT, "admin"))
    joint = client.post(URL, json={"topic": "x"}, headers=centre)
    assert joint.status_code == 422


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ward_asks_on_the_bpr_page(client: TestClient, login: Callable[..., str]) -> None:
    csrf = login(client, WARD_A, "ward_it")
    page = client.get("/finops/bpr").text
    assert "BPR 支援チーム（専門家派遣）" in page and "依頼はまだありません。" in page
    asked = client.post(
        "/finops/bpr/dispatches",
        data={"csrf_token": csrf, "topic": "住民票の写しの交付", "business_system": ""},
    )
    assert asked.status_code == 303
    page = client.get("/finops/bpr").text
    assert "住民票の写しの交付" in page and "依頼受付" in page
    empty = client.post("/finops/bpr/dispatches", data={"csrf_token": csrf, "topic": ""})
    assert empty.status_code == 422
