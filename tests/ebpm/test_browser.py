"""A policy officer in a real browser (Japanese and English, each on a desktop and on a
390-px phone): builds a logic model from a template, links an indicator to a live
scoreboard target, sees the diagram (and the table beside it), the page is axe-clean, and
exports the PDF, which holds the model, the linked indicator and its target."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.helpers import TEST_PASSWORD, WARD_A, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

WORDS = {
    "ja": {
        "template": "テンプレートから作成",
        "title": "施策名",
        "department": "所管部署",
        "create": "作成",
        "table": "要素と指標",
        "add_indicator": "指標を追加",
        "name": "指標名",
        "source": "データの出所",
        "metric": "スコアボードの目標(rengoの指標の場合)",
        "add": "追加",
        "added": "指標を追加しました。",
        "pdf": "PDF出力(政策評価調書)",
    },
    "en": {
        "template": "Start from a template",
        "title": "Policy name",
        "department": "Department",
        "create": "Create",
        "table": "Elements and indicators",
        "add_indicator": "Add an indicator",
        "name": "Indicator name",
        "source": "Data source",
        "metric": "Scoreboard target (for a live metric)",
        "add": "Add",
        "added": "The indicator was added.",
        "pdf": "Export PDF (policy evaluation sheet)",
    },
}


@pytest.mark.parametrize(
    ("language", "viewport"),
    [
        ("ja", {"width": 1280, "height": 900}),
        ("ja", {"width": 390, "height": 844}),
        ("en", {"width": 1280, "height": 900}),
        ("en", {"width": 390, "height": 844}),
    ],
    ids=["ja-desktop", "ja-phone", "en-desktop", "en-phone"],
)
def test_policy_officer_builds_links_sees_and_exports(
    browser_page: Any,
    make_user: Callable[..., str],
    tmp_path: Path,
    language: str,
    viewport: dict[str, int],
) -> None:
    words = WORDS[language]
    page = browser_page
    page.set_viewport_size(viewport)
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "policy"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")
    if language == "en":
        page.get_by_role("link", name="English").click()
        page.wait_for_load_state()

    page.goto("/ebpm/policies/new")
    page.get_by_label(words["template"]).select_option("childcare")
    title = "保育所定員拡大事業" if language == "ja" else "Nursery places"
    page.get_by_label(words["title"]).fill(title)
    page.get_by_label(words["department"], exact=True).fill("子ども家庭部")
    page.get_by_role("button", name=words["create"]).click()
    page.get_by_role("heading", name=title, level=1).wait_for()

    diagram = page.get_by_role("img", name=title)
    assert diagram.is_visible()
    assert "インプット" in diagram.inner_html() or "Inputs" in diagram.inner_html()
    table = page.get_by_role("table", name=words["table"])
    assert "待機児童率" in table.inner_text()

    page.get_by_text(words["add_indicator"], exact=True).click()
    form = page.locator("#add-indicator")  # the edit forms below have the same labels
    form.get_by_label(words["name"]).fill("データ活用研修の修了率")
    form.get_by_label(words["source"], exact=True).select_option("metric")
    form.get_by_label(words["metric"]).select_option("m3.kpi.staff_trained")
    form.get_by_role("button", name=words["add"], exact=True).click()
    page.get_by_text(words["added"]).wait_for()
    assert page.locator('a[href="/targets/m3.kpi.staff_trained"]').count() == 1
    assert "データ活用研修の修了率" in page.get_by_role("table", name=words["table"]).inner_text()

    # Nothing wider than the screen on a phone (tables and the diagram scroll in place).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"] + 1
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name=words["pdf"]).click()
    target = tmp_path / "model.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    flat = "".join(text.split())
    for expected in (title, "待機児童率", "データ活用研修の修了率", "m3.kpi.staff_trained"):
        assert "".join(expected.split()) in flat, expected
