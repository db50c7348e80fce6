"""Server-rendered pages: Japanese first, forms with CSRF, errors without tracebacks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import JOINT, WARD_A, WARD_B


def test_dashboard_in_japanese_with_english_one_click_away(
    client: TestClient, login: Callable[..., str], make_asset: Callable[..., int]
) -> None:
    make_asset()
    login(client, WARD_A, "ward_it")
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text and "23区の政策目標" in page.text
    assert "重大インシデント件数" in page.text and "情報資産の分類済み割合" in page.text
    assert 'href="/lang/en?next=/"' in page.text
    switched = client.get("/lang/en", params={"next": "/"})
    assert switched.status_code == 303 and "rengo_lang=en" in switched.headers["set-cookie"]
    english = client.get("/")
    assert '<html lang="en">' in english.text and "Policy targets of the 23 wards" in english.text
    assert "Information assets classified" in english.text


def test_asset_pages_search_create_edit_and_history(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "ward_it")
    form = {
        "csrf_token": csrf,
        "kind": "system",
        "name": "介護保険システム",
        "department": "福祉部",
        "location": "gov_cloud",
        "cloud_provider": "azure",
        "segment": "mynumber",
        "confidentiality": "3",
        "integrity": "2",
        "availability": "2",
        "personal_data": "on",
        "personal_data_count": "15000",
        "ip_ranges": "10.1.4.0/24\n10.1.5.0/24",
        "hostnames": "",
        "mail_domains": "",
        "cost_tags": "system=kaigo",
        "business_system": "kaigo_hoken",
    }
    created = client.post("/assets/new", data=form)
    assert created.status_code == 303, re.findall(r"field-error[^>]*>([^<]*)", created.text)
    detail_url = created.headers["location"].split("?")[0]
    detail = client.get(detail_url)
    assert "介護保険システム" in detail.text and "10.1.4.0/24, 10.1.5.0/24" in detail.text
    edit = client.post(f"{detail_url}/edit", data={**form, "version": "1", "owner": "介護保険課長"})
    assert edit.status_code == 303
    history = client.get(detail_url).text
    assert "介護保険課長" in history and re.search(r"<td>2</td>", history)
    results = client.get("/assets", params={"q": "介護"}, headers={"HX-Request": "true"})
    assert "<html" not in results.text and "介護保険システム" in results.text


def test_form_errors_are_shown_next_to_the_fields(
    client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "ward_it")
    response = client.post(
        "/assets/new",
        data={
            "csrf_token": csrf,
            "kind": "system",
            "name": "x",
            "location": "gov_cloud",
            "ip_ranges": "not-an-ip",
        },
    )
    assert response.status_code == 422
    assert 'aria-invalid="true"' in response.text
    assert "&#39;not-an-ip&#39; は IP アドレスまたは CIDR 範囲ではありません" in response.text
    assert "not an IP address" not in response.text
    client.get("/lang/en", params={"next": "/"})
    english = client.post(
        "/assets/new",
        data={
            "csrf_token": csrf,
            "kind": "system",
            "name": "x",
            "location": "gov_cloud",
            "ip_ranges": "not-an-ip",
        },
    )
    assert "&#39;not-an-ip&#39; is not an IP address or CIDR range" in english.text


def test_api_errors_stay_english_whatever_the_language(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {tokens(WARD_A, 'ward_it')}", "Cookie": "rengo_lang=ja"}
    response = client.post(
        "/api/v1/assets",
        headers=headers,
        json={"kind": "system", "name": "x", "location": "gov_cloud", "ip_ranges": ["not-an-ip"]},
    )
    assert response.status_code == 422
    problems = {p["location"]: p["message"] for p in response.json()["problems"]}
    assert problems["body ip_ranges"].endswith("'not-an-ip' is not an IP address or CIDR range")


def test_csv_import_page_lists_problems(client: TestClient, login: Callable[..., str]) -> None:
    csrf = login(client, WARD_A, "ward_it")
    files = {"file": ("x.csv", "名称,種別,設置場所\nA,情報システム,月面\n".encode(), "text/csv")}
    response = client.post("/assets/import", data={"csrf_token": csrf}, files=files)
    assert response.status_code == 422
    assert "何も取り込んでいません" in response.text
    assert "x.csv:2 field location" in response.text


def test_other_wards_assets_are_not_found_in_pages(
    client: TestClient, login: Callable[..., str], make_asset: Callable[..., Any]
) -> None:
    from tests.helpers import IT_B

    other = make_asset(IT_B)
    login(client, WARD_A, "ward_it")
    response = client.get(f"/assets/{other}")
    assert response.status_code == 404
    assert "Traceback" not in response.text and "問題が発生しました" in response.text


def test_audit_log_page_is_for_admins(
    client: TestClient, new_client: Callable[[], TestClient], login: Callable[..., str]
) -> None:
    login(client, WARD_A, "ward_it")
    assert client.get("/admin/audit").status_code == 403
    admin = new_client()
    login(admin, JOINT, "admin")
    page = admin.get("/admin/audit")
    assert page.status_code == 200 and "login" in page.text
    export = admin.get("/api/v1/audit/export.csv")
    assert export.status_code == 200 and export.content.startswith(b"\xef\xbb\xbf")


def test_unexpected_errors_never_show_a_traceback(
    app: Any, client: TestClient, login: Callable[..., str]
) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError("secret internals")

    local = TestClient(app, raise_server_exceptions=False)
    page = local.get("/boom")
    assert page.status_code == 500
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert re.search(r"リクエスト [0-9a-f]+ として記録しました", page.text)
    assert "logged as request" in local.get("/boom?lang=en").text
    api = local.get("/api/v1/boom")
    assert api.status_code == 500 and api.json()["error"] == "internal"
    assert "secret internals" not in api.text


def test_unknown_pages_are_404_pages(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "<html" in response.text
    assert client.get("/api/v1/nothing").json()["error"] == "http_error"


def test_ward_b_name_in_joint_view(
    client: TestClient, login: Callable[..., str], make_asset: Callable[..., Any]
) -> None:
    from tests.helpers import IT_B

    make_asset(IT_B, name="中央区の資産")
    login(client, JOINT, "soc_analyst")
    page = client.get("/assets", params={"ward": WARD_B})
    assert "中央区の資産" in page.text and "中央区" in page.text
