"""A ward's IT staff member in a real browser: log in, dashboard, register, search, edit, export."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TEST_PASSWORD, WARD_A

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_ward_it_staff_works_the_asset_register(
    browser_page: Any, make_user: Callable[..., str], tmp_path: Path
) -> None:
    page = browser_page
    username = make_user(WARD_A, "ward_it")
    page.goto("/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="23区の政策目標").wait_for()
    assert page.get_by_role("link", name="情報資産の分類済み割合").first.is_visible()

    page.get_by_role("link", name="情報資産台帳").first.click()
    page.get_by_role("link", name="資産を登録").click()
    page.get_by_label("名称").fill("児童手当システム")
    page.get_by_label("所管部署").fill("子ども家庭部")
    page.get_by_label("設置場所").select_option("gov_cloud")
    page.get_by_label("クラウド事業者").select_option("gcp")
    page.get_by_label("ネットワーク区分").select_option("mynumber")
    page.get_by_label("機密性").select_option("3")
    page.get_by_label("完全性").select_option("2")
    page.get_by_label("可用性").select_option("2")
    page.get_by_label("IPアドレス範囲").fill("10.1.20.0/24")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name="児童手当システム").wait_for()
    assert page.get_by_text("保存しました。").is_visible()

    page.get_by_role("link", name="情報資産台帳").first.click()
    page.get_by_role("searchbox", name="検索").fill("児童手当")
    page.wait_for_function("document.querySelector('#results').innerText.includes('1 件の資産')")
    assert re.search(r"児童手当システム", page.locator("#results").inner_text())

    page.locator("#results").get_by_role("link", name="児童手当システム").click()
    page.get_by_role("link", name="編集").click()
    page.get_by_label("管理責任者").fill("子育て支援課長")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("子育て支援課長").first.wait_for()
    assert "子育て支援課長" in page.locator("table").inner_text()

    page.get_by_role("link", name="情報資産台帳").first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV出力").click()
    target = tmp_path / "assets.csv"
    download_info.value.save_as(target)
    content = target.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and "児童手当システム".encode() in content

    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="Information asset register").wait_for()
