"""What only the API could change before, now on the pages: the policy's fields, elements
(changed, removed), indicators (linked to a live scoreboard target), a snapshot of the live
metrics taken on demand; the training page imports the roster, sends reminders and lists
them. Permission-checked (another ward: 404), bad input names the field, Japanese and
English."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.ebpm.test_pages import _new_policy
from tests.helpers import WARD_A, WARD_B

LoginFn = Callable[..., str]


def test_policy_officer_edits_the_model_on_its_page(
    client: TestClient, new_client: Callable[[], TestClient], login: LoginFn
) -> None:
    csrf = login(client, WARD_A, "policy")
    url = _new_policy(client, csrf)
    page = client.get(url).text
    assert "施策の内容を変更する" in page and "指標を変更する" in page
    changed = client.post(
        f"{url}/edit",
        data={
            "csrf_token": csrf,
            "title": "地域防災力強化事業(改)",
            "department": "危機管理部",
            "fiscal_year": "2026",
            "is_new": "true",
            "budget_line": "",
            "budget_yen": "9000000",
            "purpose": "災害時に自助・共助が機能する地域をつくる",
        },
    )
    assert changed.status_code == 303, changed.text
    page = client.get(changed.headers["location"]).text
    assert "地域防災力強化事業(改)" in page and "9,000,000" in page
    assert "施策を変更しました。" in page and "自助・共助が機能する" in page

    element = re.search(r'action="/ebpm/policies/\d+/elements/(\d+)"', page)
    assert element
    eid = element.group(1)
    edited = client.post(
        f"{url}/elements/{eid}",
        data={"csrf_token": csrf, "stage": "activities", "text": "防災アプリの普及啓発"},
    )
    assert edited.status_code == 303
    assert "防災アプリの普及啓発" in client.get(url).text
    empty = client.post(
        f"{url}/elements/{eid}", data={"csrf_token": csrf, "stage": "activities", "text": ""}
    )
    assert empty.status_code == 422 and "text" in empty.text

    indicator = re.search(r'action="/ebpm/indicators/(\d+)/edit"', page)
    assert indicator
    iid = indicator.group(1)
    fields = {
        "csrf_token": csrf,
        "name": "データ活用研修の修了率",
        "unit": "%",
        "direction": "increase",
        "baseline": "60",
        "baseline_date": "2025-03-31",
        "source": "metric",
        "metric_target": "",
        "key_outcome": "true",
    }
    bad = client.post(f"/ebpm/indicators/{iid}/edit", data=fields)
    assert bad.status_code == 422 and "metric_target" in bad.text
    fields["metric_target"] = "m3.kpi.staff_trained"
    linked = client.post(f"/ebpm/indicators/{iid}/edit", data=fields)
    assert linked.status_code == 303, linked.text
    page = client.get(url).text
    assert 'href="/targets/m3.kpi.staff_trained"' in page and "指標を変更しました。" not in page
    assert "スナップショットを保存" in page

    hr = new_client()
    hr_csrf = login(hr, WARD_A, "hr")
    staff = "区,所属,職員数,基準日\n131016,総務部,4,2026-04-01\n"
    assert (
        hr.post(
            "/ebpm/training/import",
            data={"csrf_token": hr_csrf, "kind": "staff"},
            files={"file": ("staff.csv", staff.encode())},
        ).status_code
        == 200
    )
    taken = client.post(f"{url}/snapshots", data={"csrf_token": csrf})
    assert taken.status_code == 303
    page = client.get(taken.headers["location"]).text
    assert "期間ごとの実績" in page and "m3.kpi.staff_trainedのスナップショット" in page

    other = new_client()
    other_csrf = login(other, WARD_B, "policy")
    for path, data in (
        (f"{url}/edit", {"title": "x", "department": "x", "fiscal_year": "2026"}),
        (f"{url}/elements/{eid}/remove", {}),
        (f"/ebpm/indicators/{iid}/edit", {"name": "x"}),
        (f"{url}/snapshots", {}),
    ):
        assert other.post(path, data={"csrf_token": other_csrf, **data}).status_code == 404, path

    removed = client.post(f"{url}/elements/{eid}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "防災アプリの普及啓発" not in client.get(url).text
    client.cookies.set("rengo_lang", "en")
    page = client.get(url).text
    assert "Change the policy" in page and "Actuals per period" in page


def test_hr_imports_the_roster_and_reminds_on_the_training_page(
    client: TestClient, login: LoginFn
) -> None:
    csrf = login(client, WARD_A, "hr")
    roster = "職員番号,区,所属,氏名,メール\nA7,131016,総務部,,a7@chiyoda.example.test\n"
    imported = client.post(
        "/ebpm/training/import",
        data={"csrf_token": csrf, "kind": "roster"},
        files={"file": ("roster.csv", roster.encode("cp932"))},
    )
    assert imported.status_code == 200, imported.text
    assert "職員名簿に1人を追加" in imported.text
    assert "リマインドはまだ送っていません。" in imported.text
    sent = client.post("/ebpm/training/reminders", data={"csrf_token": csrf})
    assert sent.status_code == 200
    assert "リマインドを1件送りました。" in sent.text
    assert '<th scope="row">A7</th>' in sent.text and "a7@chiyoda.example.test" in sent.text
    again = client.post("/ebpm/training/reminders", data={"csrf_token": csrf})
    assert "リマインドを0件送りました。最近送った1人" in again.text
    client.cookies.set("rengo_lang", "en")
    page = client.get("/ebpm/training").text
    assert "Reminders sent" in page and "Send reminders now" in page


def test_only_hr_may_send_reminders(client: TestClient, login: LoginFn) -> None:
    csrf = login(client, WARD_A, "policy")
    page = client.get("/ebpm/training").text
    assert "今すぐリマインドを送る" not in page
    assert client.post("/ebpm/training/reminders", data={"csrf_token": csrf}).status_code == 403
