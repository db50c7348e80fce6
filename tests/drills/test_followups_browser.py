"""In a real browser on a phone-sized screen (390×844): a ward's IT staff open their
follow-up tasks, mark one done with a note through the form, and see it closed — no
horizontal scrolling, no serious or critical axe violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from tests.drills.factories import make_followup
from tests.helpers import TEST_PASSWORD, WARD_A, axe_serious

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ward_closes_its_follow_up_on_a_phone(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    followup_id = make_followup(env, WARD_A)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("input[name=username]", make_user(WARD_A, "ward_it"))
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/drills/followups")
    assert "報告体制の見直し" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_serious(page) == []
    page.fill(f"#note-{followup_id}", "報告先一覧を更新した")
    page.click("button:has-text('完了にする')")
    page.wait_for_selector("text=未了の改善タスクはありません。")
    page.goto("/drills/followups?done=1")
    item = page.inner_text(f"#followup-{followup_id}")
    assert "報告先一覧を更新した" in item and "未了に戻す" in item
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_serious(page) == []
