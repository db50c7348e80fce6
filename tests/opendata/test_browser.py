"""The citizens' pages in headless chromium at 390 px, without logging in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rengo.core.clock import JST
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from tests.helpers import TEST_PASSWORD
from tests.opendata.samples import csv_bytes, rows
from tests.opendata.test_pages import _publish

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"


def _accessible(page: Any) -> None:
    """No WCAG 2.1 A/AA violation that axe-core finds on the current page."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluated by the driver: the CSP allows no inline
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']}})"
    )
    problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not problems, problems


pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_search_and_dataset_page_on_a_phone(env: Runtime, browser_page: Any) -> None:
    name = _publish(env)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/opendata")
    assert page.locator("h1").count() == 1
    _accessible(page)
    page.get_by_label("データセットを検索").fill("ｴｰｲｰﾃﾞｨｰ")
    page.get_by_role("button", name="検索").click()
    page.wait_for_url("**/opendata?q=*")
    page.get_by_role("link", name="AED設置箇所一覧").click()
    page.wait_for_url(f"**/opendata/dataset/{name}")
    assert page.get_by_role("cell", name="区立施設3").count() == 1
    page.wait_for_selector("#dataset-map[data-points]")
    _accessible(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways ({width}px)"


def test_the_disaster_map_draws_every_ward_s_aeds_offline(env: Runtime, browser_page: Any) -> None:
    name = _publish(env)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/opendata/disaster")
    page.wait_for_selector("#disaster-map[data-points]")
    assert page.get_attribute("#disaster-map", "data-points") == "3"
    assert page.locator("#disaster-map canvas").count() == 1  # markers are drawn on canvas
    _accessible(page)
    page.goto(f"/opendata/dataset/{name}")
    page.wait_for_selector("#dataset-map[data-points]")
    assert page.get_attribute("#dataset-map", "data-points") == "3"


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")


def _fits_a_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"{page.url} scrolls sideways ({width}px)"


def test_a_reuse_is_submitted_moderated_and_appears(
    env: Runtime, browser_page: Any, make_user: Callable[..., str]
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/opendata/reuses")
    page.get_by_role("link", name="あなたの活用事例を投稿する").click()
    page.get_by_role("heading", name="活用事例を投稿する").wait_for()
    _accessible(page)
    _fits_a_phone(page)
    page.get_by_label("件名").fill("まちのAEDマップ")
    page.get_by_label("種類").select_option("application")
    page.get_by_label("作成者").fill("市民開発者")
    page.get_by_label("リンク(https://…)").fill("https://aed-map.example.jp")
    page.get_by_label("使用したデータセット(名前をカンマ区切りで)").fill("chiyoda-aed")
    page.get_by_role("button", name="送信").click()
    page.get_by_role("status").filter(has_text="ご投稿ありがとうございます").wait_for()
    assert page.get_by_role("link", name="まちのAEDマップ").count() == 0  # not before moderation
    _accessible(page)

    _log_in(page, make_user(JOINT, "admin"))
    page.goto("/opendata/moderation")
    page.get_by_role("heading", name="活用事例の審査").wait_for()
    _accessible(page)
    _fits_a_phone(page)
    page.get_by_role("button", name="掲載する まちのAEDマップ").click()
    page.get_by_text("審査待ちの投稿はありません。").wait_for()
    page.goto("/opendata/reuses")
    page.get_by_role("link", name="まちのAEDマップ").click()
    page.get_by_role("heading", name="まちのAEDマップ").wait_for()
    assert page.get_by_text("アプリケーション").count() == 1
    _accessible(page)
    _fits_a_phone(page)


def test_staff_and_contest_pages_pass_axe_on_a_phone(
    env: Runtime, browser_page: Any, make_user: Callable[..., str], tmp_path: Path
) -> None:
    name = _publish(env)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, make_user(JOINT, "admin"))
    page.goto("/opendata/quality")
    page.get_by_role("heading", name="オープンデータの品質").wait_for()
    _accessible(page)
    _fits_a_phone(page)

    page.goto("/opendata/publish")
    _accessible(page)
    bad = rows(n=2)
    bad[1]["緯度"] = "34.9"
    upload = tmp_path / "aed-bad.csv"
    upload.write_bytes(csv_bytes(bad, "cp932"))
    page.get_by_label("件名", exact=True).fill("AED設置箇所一覧")
    page.get_by_label("標準データセットの種類").select_option("aed")
    page.get_by_label("ファイル").set_input_files(str(upload))
    page.get_by_role("button", name="検査して公開").click()
    page.get_by_text("aed-bad.csv:3行目 列「緯度」").wait_for()
    _accessible(page)
    _fits_a_phone(page)

    page.goto(f"/opendata/dataset/{name}/edit")
    page.get_by_role("heading", name="データセットを編集").wait_for()
    _accessible(page)
    _fits_a_phone(page)

    today = env.clock.now().astimezone(JST).date()
    page.goto("/opendata/contests")
    page.get_by_label("年度").fill(str(today.year))
    page.get_by_label("件名").fill("23区オープンデータコンテスト")
    page.get_by_label("募集要項").fill("区のデータで暮らしを便利に")
    page.get_by_label("応募開始日").fill((today - timedelta(days=1)).isoformat())
    page.get_by_label("応募締切日").fill((today + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="告知する").click()
    page.get_by_role("heading", name="23区オープンデータコンテスト").wait_for()
    _accessible(page)
    page.get_by_label("チーム").fill("A班")
    page.get_by_label("アイデア").fill("AEDまでの最短経路")
    page.get_by_role("button", name="応募する").click()
    page.get_by_role("status").filter(has_text="応募を受け付けました").wait_for()
    _fits_a_phone(page)
    page.get_by_role("link", name="応募作品を採点する").click()
    page.get_by_role("heading", name="採点").wait_for()
    _accessible(page)
    _fits_a_phone(page)
    page.get_by_label("社会的インパクト").select_option("4")
    page.get_by_label("実現可能性").select_option("3")
    page.get_by_label("データの活用度").select_option("5")
    page.get_by_role("button", name="採点を保存する A班").click()
    page.get_by_role("status").filter(has_text="採点を保存しました").wait_for()
    page.get_by_role("link", name="23区オープンデータコンテスト").click()
    page.get_by_role("button", name="審査を締め切る").click()
    page.get_by_role("heading", name="審査結果・受賞者").wait_for()
    _accessible(page)
    _fits_a_phone(page)
    page.get_by_role("link", name="A班").click()
    page.get_by_label("賞の名前").fill("最優秀賞")
    page.get_by_role("button", name="受賞者に決定する").click()
    page.get_by_text("最優秀賞").first.wait_for()
    _accessible(page)
    _fits_a_phone(page)
