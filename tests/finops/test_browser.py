"""Ward finance staff in a real browser: explore costs, drill down, export, and take a savings
recommendation from open to done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from tests.finops.test_api import _load
from tests.helpers import TEST_PASSWORD, WARD_A

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_explorer_and_a_recommendations_life_cycle(
    browser_page: Any, env: Runtime, make_user: Callable[..., str], tmp_path: Path
) -> None:
    (tmp_path / "exports").mkdir()
    _load(env, tmp_path / "exports")
    page = browser_page
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "ward_finance"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    page.get_by_role("link", name="コストエクスプローラー").first.click()
    page.get_by_role("heading", name="コストエクスプローラー").wait_for()
    page.get_by_label("開始日", exact=True).fill("2025-07-01")
    page.get_by_label("終了日", exact=True).fill("2025-09-30")
    page.get_by_label("集計軸").select_option("business_system")
    page.get_by_label("コストの種類").select_option("billed")
    page.get_by_role("button", name="表示").click()
    table = page.get_by_role("table", name="業務システム別のコスト (JPY)")
    table.wait_for()
    assert page.get_by_role("img", name="業務システム別のコスト").is_visible()
    assert "戸籍" in table.inner_text() and "住民基本台帳" in table.inner_text()
    assert "中央区" not in page.locator("main").inner_text()  # only the ward's own costs

    # Drill down from one month of one system to its billing rows.
    page.get_by_role("link", name="戸籍 の 2025-08 の明細").click()
    page.get_by_role("heading", name="請求明細").wait_for()
    rows = page.get_by_role("table", name="請求明細").inner_text()
    assert "2025-08" in rows and "koseki" in rows
    page.go_back()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV出力").click()
    target = tmp_path / "costs.csv"
    download_info.value.save_as(target)
    text = target.read_text("utf-8-sig")
    assert text.startswith("period,business_system,cost_JPY") and "koseki" in text

    # A recommendation: open → accepted → done, with the history kept.
    page.get_by_role("link", name="削減の推奨").first.click()
    page.get_by_role("heading", name="削減の推奨").wait_for()
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("heading", name="状態を変更").wait_for()
    page.get_by_label("メモ").fill("来月のメンテナンスで対応")
    page.get_by_role("button", name="採用する").click()
    page.get_by_text("状態を変更しました。").wait_for()
    page.get_by_label("変更を実施した日(実施済みの場合)").fill("2025-09-20")
    page.get_by_role("button", name="実施済みにする").click()
    page.get_by_text("状態を変更しました。").wait_for()
    history = page.get_by_role("table", name="すべての状態変更").inner_text()
    assert "来月のメンテナンスで対応" in history and "採用" in history and "実施済み" in history
    assert "2025-09-20" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="採用する").count() == 0  # done is final
