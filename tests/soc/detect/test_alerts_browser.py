"""The alert queue in a real browser on a phone (issue 17): severity in colour and words,
several alerts closed at once, and one click from an alert to a prefilled incident form —
axe-core finds no serious or critical problem on any of these pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from rengo.soc.alerts_ingest import ingest
from tests.helpers import TEST_PASSWORD, WARD_A, axe_serious
from tests.soc.detect.alert_helpers import detection
from tests.soc.detect.test_alerts import NOW, SETTINGS

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_an_analyst_triages_several_alerts_and_opens_an_incident_on_a_phone(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    with env.db.session() as s:
        first, second, third = ingest(
            s,
            [
                detection(WARD_A, "a", level="critical"),
                detection(WARD_A, "b", level="medium"),
                detection(WARD_A, "c", level="low"),
            ],
            SETTINGS,
            NOW,
        ).new_alerts
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "csirt"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")

    page.goto("/soc/alerts")
    page.get_by_role("heading", name="アラートキュー").wait_for()
    critical = page.locator(".level-critical").first
    assert critical.inner_text() == "重大"
    assert critical.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert axe_serious(page) == []

    page.get_by_label(f"{second} を選択").check()
    page.get_by_label(f"{third} を選択").check()
    page.get_by_label("一括操作").select_option("close")
    page.get_by_label("クローズの理由").select_option("false_positive")
    page.get_by_role("button", name="選択したアラートに適用").click()
    page.get_by_text("2 件のアラートを変更しました。").wait_for()
    rows = page.locator("#results tbody tr")
    assert "クローズ" in rows.filter(has_text=second).inner_text()
    assert "クローズ" not in rows.filter(has_text=first).inner_text()

    page.get_by_role("link", name=first).click()
    page.get_by_role("link", name="インシデントを開く").click()
    page.get_by_role("heading", name="新規インシデント").wait_for()
    assert page.locator("#title").input_value() == "Rule a"
    assert page.get_by_label("千代田区").is_checked()
    assert page.get_by_role("link", name=first).count() == 1
    assert axe_serious(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the form scrolls sideways ({width}px)"
