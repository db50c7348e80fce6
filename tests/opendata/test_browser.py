"""The citizens' pages in headless chromium at 390 px, without logging in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from tests.opendata.test_pages import _publish

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"


def _accessible(page: Any) -> None:
    """No WCAG 2.1 A/AA violation that axe-core finds on the current page."""
    page.evaluate(AXE.read_text("utf-8"))  # evaluated by the driver: the CSP allows no inline
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
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
