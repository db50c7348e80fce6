"""A joint-centre analyst in a real browser: search events, open one with its raw record,
see which wards are sending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch
from tests.helpers import TEST_PASSWORD, WARD_A
from tests.soc import samples

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_joint_analyst_searches_events_and_checks_collection(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    now = env.clock.now()
    lines = [
        samples.SQUID.replace(
            b"1777597200.123", f"{(now - timedelta(minutes=m)).timestamp():.3f}".encode()
        ).replace(b"10.1.1.5", f"10.1.1.{m}".encode())
        for m in range(1, 4)
    ]
    store = store_for(env.data_dir, env.settings.section(SocSettings))
    assert store.wait_stored(store.accept([Batch(WARD_A, "proxy1", "squid", lines)]))

    page = browser_page
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user("joint", "soc_analyst"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="23区の政策目標").wait_for()

    page.get_by_role("link", name="イベント検索").first.click()
    page.get_by_role("heading", name="イベント検索").wait_for()
    page.get_by_label("送信元アドレス").fill("10.1.1.2")
    page.get_by_role("button", name="検索").click()
    page.wait_for_url("**src_ip=10.1.1.2**")  # htmx pushed the query into the URL
    results = page.locator("#results")
    results.get_by_text("10.1.1.2 · http://evil.example").wait_for()
    assert results.get_by_role("row").count() == 2  # the header and one event

    results.get_by_role("link").first.click()
    page.get_by_role("heading", name="元のログ").wait_for()
    raw = page.locator("pre.raw").inner_text()
    assert "10.1.1.2 TCP_DENIED/403" in raw
    assert page.get_by_role("cell", name="src_endpoint.ip").is_visible()

    page.get_by_role("link", name="ログ収集状況").first.click()
    page.get_by_role("heading", name="ログ収集状況: すべての区から届いているか").wait_for()
    warning = page.get_by_role("alert")
    assert "港区" in warning.inner_text() and "千代田区" not in warning.inner_text()
    grid = page.get_by_role("table", name="区・日別のイベント数")
    assert grid.get_by_role("row", name="千代田区").get_by_role("cell").last.inner_text() != "—"
