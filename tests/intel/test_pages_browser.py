"""TLP labels in a real browser (issue 17): the TLP 2.0 colours on black, and axe-core finds
no serious or critical problem (contrast included) on the pages that show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers import TEST_PASSWORD, WARD_A, axe_serious

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

COLOURS = {
    "clear": "rgb(255, 255, 255)",
    "green": "rgb(51, 255, 0)",
    "amber": "rgb(255, 192, 0)",
    "amber+strict": "rgb(255, 192, 0)",
    "red": "rgb(255, 43, 43)",
}


def test_tlp_labels_in_their_colours_pass_axe_on_a_phone(
    browser_page: Any, make_user: Callable[..., str]
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "ward_it"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")
    for level in COLOURS:
        page.goto("/intel/submit?kind=access")
        page.locator("#f-tlp").select_option(level)
        page.locator("input[name=title]").fill(f"VPN {level}")
        page.locator("textarea[name=source_addresses]").fill("203.0.113.45")
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url("**/intel/submissions/*")
    page.goto("/intel/submissions")
    for level, colour in COLOURS.items():
        label = page.locator(f".tlp-{level.replace('+', '-')}").first
        assert label.inner_text() == f"TLP:{level.upper()}"
        style = label.evaluate(
            "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
        )
        assert style == [colour, "rgb(0, 0, 0)"], level
    assert axe_serious(page) == []
