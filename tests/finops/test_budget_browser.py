"""A ward's finance staff on a phone: upload a budget file with an error, then the good one,
read the guideline and the operating-cost target's evidence; every page axe-clean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from tests.helpers import TEST_PASSWORD, WARD_A

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
HEADER = "団体コード,年度,予算決算区分,対象,業務,経費区分,金額\n"

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _checked(page: Any) -> None:
    """No WCAG 2.1 A/AA violation axe-core finds, and no sideways scrolling at 390 px."""
    page.evaluate(AXE.read_text("utf-8"))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']}})"
    )
    problems = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]
    assert not problems, (page.url, problems)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"{page.url} scrolls sideways ({width}px)"


def test_budget_upload_guideline_and_evidence_on_a_phone(
    env: Runtime, browser_page: Any, make_user: Callable[..., str], tmp_path: Path
) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "ward_finance"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/")

    page.goto("/finops/budget")
    page.get_by_role("heading", name="予算・決算", exact=True).wait_for()
    _checked(page)
    bad = tmp_path / "予算.csv"
    bad.write_bytes(
        (HEADER + f"{WARD_A},令和X年度,予算,現行システム,戸籍,保守,100\n").encode("cp932")
    )
    page.get_by_label("CSV(UTF-8またはShift_JIS)またはExcelファイル").set_input_files(str(bad))
    page.get_by_role("button", name="取り込む").click()
    page.get_by_text("予算.csv:2 column 2 (fiscal_year)").wait_for()
    _checked(page)
    good = tmp_path / "予算2.csv"
    good.write_bytes(
        (
            HEADER
            + f"{WARD_A},2024,決算,現行システム,戸籍,保守,1000000\n"
            + f"{WARD_A},2024,決算,現行システム,共通,回線,200000\n"
        ).encode("cp932")
    )
    page.get_by_label("CSV(UTF-8またはShift_JIS)またはExcelファイル").set_input_files(str(good))
    page.get_by_role("button", name="取り込む").click()
    page.get_by_text("2 行の明細を保存").wait_for()
    _checked(page)

    page.goto("/finops/guideline")
    page.get_by_role("heading", name="FinOpsガイドライン").wait_for()
    _checked(page)
    page.goto("/targets/m2.kgi.operating_cost_growth")
    page.get_by_role("heading", name="標準準拠システム移行後の年間運用経費の増加率").wait_for()
    _checked(page)
