"""The CSIRT's pages over HTTP: list, open, work on an incident, on call, costs, ack link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rengo.core.clock import FakeClock
from tests.csirt.conftest import AlertBook
from tests.helpers import WARD_A, WARD_B

# The HTML layer is under test here; the services below it run on SQLite and PostgreSQL in
# the API tests, so these pages run on SQLite only (the suite stays fast).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


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
    from rengo.notify import oncall, paging
    from rengo.notify.models import OnCallPage

    person = make_user("joint", "csirt")
    with env.db.session() as session:
        team = oncall.create_team(
            session, SYSTEM, tenant="joint", name="T", kind="csirt", settings=env.settings
        )
        oncall.add_shifts(
            session, SYSTEM, team.id, usernames=[person], start=clock.now(), shift_hours=24, count=1
        )
        sent = paging.page_team(
            session, team, subject="応答確認", body="", settings=env.settings, now=clock.now()
        )
        token, page_id = sent.ack_token, sent.page.id
    shown = client.get(f"/oncall/ack/{token}")
    assert shown.status_code == 200 and "応答確認" in shown.text and "対応します" in shown.text
    with env.db.session() as session:
        assert session.get(OnCallPage, page_id).status == "open"  # a GET never acknowledges
    done = client.post(f"/oncall/ack/{token}")
    assert done.status_code == 200 and f"{person} (link)" in done.text
    assert client.get("/oncall/ack/not-a-token").status_code == 404


def test_costs_and_oncall_pages_render(client: TestClient, login: Callable[..., str]) -> None:
    login(client, "joint", "admin")
    assert client.get("/oncall").status_code == 200
    costs = client.get("/csirt/costs")
    assert costs.status_code == 200 and "データなし" in costs.text
    assert re.search(r"<h1>[^<]+</h1>", costs.text)


def test_merge_and_split_in_the_ui(
    client: TestClient, login: Callable[..., str], soc_alert: Callable[..., str], api: Api
) -> None:
    first, second, third = (soc_alert(WARD_A, f"不審な通信 {n}") for n in (1, 2, 3))
    csrf = login(client, WARD_A, "csirt")

    def open_from(*alert_ids: str) -> str:
        created = client.post(
            "/incidents/new",
            data={
                "csrf_token": csrf,
                "category": "unauthorised_access",
                "alert_ids": " ".join(alert_ids),
            },
        )
        assert created.status_code == 303, created.text
        return str(created.headers["location"])

    survivor, duplicate = open_from(first, second), open_from(third)
    duplicate_ref = f"INC-{int(duplicate.rsplit('/', 1)[1]):06d}"
    assert "他のインシデントをこのインシデントに統合" in client.get(survivor).text
    bad = client.post(
        f"{survivor}/merge",
        data={"csrf_token": csrf, "incident_ids": "INC-x", "reason": "同一事象"},
    )
    assert bad.status_code == 422 and "INC-x" in bad.text
    other = api(
        "POST", "/api/v1/incidents", ward=WARD_B, json={"title": "B", "category": "dos"}
    ).json()
    hidden = client.post(
        f"{survivor}/merge",
        data={"csrf_token": csrf, "incident_ids": str(other["id"]), "reason": "同一事象"},
    )
    assert hidden.status_code == 404
    merged = client.post(
        f"{survivor}/merge",
        data={"csrf_token": csrf, "incident_ids": duplicate_ref, "reason": "同一の攻撃元"},
    )
    assert merged.status_code == 303 and merged.headers["location"].endswith("saved=merged")
    assert third in client.get(survivor).text
    assert "統合先" in client.get(duplicate).text
    split = client.post(
        f"{survivor}/split",
        data={
            "csrf_token": csrf,
            "alert_ids": [second],
            "title": "別の攻撃",
            "reason": "攻撃元が異なる",
        },
    )
    assert split.status_code == 303
    new_page = client.get(split.headers["location"]).text
    assert "<h1>INC-" in new_page and "別の攻撃" in new_page and second in new_page
    assert second not in client.get(survivor).text.split('id="split-h"')[0]


def test_refused_forms_speak_the_readers_language(
    client: TestClient, login: Callable[..., str], api: Api
) -> None:
    """Domain errors on pages are said in Japanese (or English when chosen); the API stays
    in English."""
    csrf = login(client, WARD_A, "csirt")
    too_long = client.post("/incidents/new", data={"csrf_token": csrf, "title": "長" * 201})
    assert too_long.status_code == 422
    assert "件名: 200文字以内で入力してください。" in too_long.text  # pydantic, with the label
    assert "インシデントを起票できません" in too_long.text
    created = client.post(
        "/incidents/new", data={"csrf_token": csrf, "title": "不審な通信", "category": "dos"}
    )
    url = created.headers["location"]
    ref = f"INC-{int(url.rsplit('/', 1)[1]):06d}"
    close = {"csrf_token": csrf, "to": "closed", "reason": "対応完了"}
    refused = client.post(f"{url}/transition", data=close)
    assert refused.status_code == 422
    assert f"{ref} はまだ終結できません" in refused.text
    assert (
        "原因(完了に必須): 終結する前に原因を記録してください" in refused.text
    )  # field by its label
    assert "record the cause" not in refused.text
    again = client.post(f"{url}/transition", data={**close, "to": "new"})
    assert f"{ref} は既に「新規」です" in again.text  # the status is shown by its label
    no_reason = client.post(f"{url}/transition", data={**close, "to": "triage", "reason": " "})
    assert "理由を入力してください" in no_reason.text

    client.get("/lang/en", params={"next": "/"})
    english = client.post(f"{url}/transition", data=close)
    assert english.status_code == 422
    assert f"{ref} cannot be closed yet" in english.text
    assert "record the cause before closing" in english.text
    assert (
        f"{ref} is already New"
        in client.post(f"{url}/transition", data={**close, "to": "new"}).text
    )

    body = api(
        "POST",
        f"/api/v1/incidents/{url.rsplit('/', 1)[1]}/transitions",
        json={"to": "closed", "reason": "done"},
    ).json()
    assert body["message"] == f"{ref} cannot be closed yet"
    assert {"location": "field cause", "message": "record the cause before closing"} in body[
        "problems"
    ]
    conflict = api(
        "POST",
        f"/api/v1/incidents/{url.rsplit('/', 1)[1]}/transitions",
        json={"to": "new", "reason": "x"},
    ).json()
    assert conflict["message"] == f"{ref} is already new"  # English, the key as before


def test_error_page_speaks_the_readers_language(
    client: TestClient, login: Callable[..., str]
) -> None:
    login(client, WARD_A, "csirt")
    missing = client.get("/incidents/999999")
    assert missing.status_code == 404 and "インシデント 999999 が見つかりません" in missing.text
    english = client.get("/incidents/999999?lang=en")
    assert "incident 999999 not found" in english.text


def test_an_alert_opens_an_incident_in_one_click_and_the_incident_links_back(
    client: TestClient, login: Callable[..., str], soc_alert: Callable[..., str]
) -> None:
    alert_id = soc_alert(WARD_A, "不審なPowerShell実行", level="critical")
    other_ward = soc_alert(WARD_B, "中央区の不審な通信")
    csrf = login(client, WARD_A, "csirt")
    alert_page = client.get(f"/soc/alerts/{alert_id}").text
    button = re.search(r'<a class="button" href="([^"]+)">インシデントを開く</a>', alert_page)
    assert button is not None
    # Ward B's alert id slipped into the link is neither shown nor its ward ticked.
    form = client.get(button.group(1) + f"&alert_ids={other_ward}").text
    assert f'href="/soc/alerts/{alert_id}"' in form and other_ward not in form.split("<form")[0]
    assert "中央区の不審な通信" not in form
    assert 'name="title" value="不審なPowerShell実行"' in form
    assert re.search(rf'value="{WARD_A}"\s+checked', form)
    assert not re.search(rf'value="{WARD_B}"\s+checked', form)
    assert "アラートの重要度" in form and "重大" in form
    assert f'id="alert_ids" name="alert_ids" value="{alert_id} {other_ward}"' in form
    english = client.get(button.group(1) + "&lang=en").text
    assert "Alert level" in english and "critical" in english
    created = client.post(
        "/incidents/new",
        data={
            "csrf_token": csrf,
            "category": "unauthorised_access",
            "alert_ids": alert_id,
            "title": "不審なPowerShell実行",
            "wards": WARD_A,
        },
    )
    assert created.status_code == 303, created.text
    incident = client.get(created.headers["location"]).text
    assert f'<a href="/soc/alerts/{alert_id}">{alert_id}</a>' in incident
