"""The privacy officer in a real browser: opens the zone, reads a release's report by
the five standards and its residual risk, and approves it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.ebpm.zone import analysis, deposits, population
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.tables import Dimension, TableRequest
from tests.ebpm.zone.test_zone_api import COLUMNS, _extract
from tests.helpers import TEST_PASSWORD, WARD_A, assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]
OWNER = Principal(WARD_A, Role.DATA_OWNER, username="owner-a")
ANALYST = Principal(WARD_A, Role.ZONE_ANALYST, username="analyst-a")
OFFICER = Principal(WARD_A, Role.PRIVACY_OFFICER, username="officer-a")


def _pending_release(env: Runtime, table: TableRequest | None = None) -> int:
    people = [p for p in population.residents(8_000, seed=11) if p.birth_date.year < 1961]
    zone = Zone.of(env)
    with env.db.session() as session:
        ids = []
        for seed, extra in ((2, "要介護度"), (3, "主病名")):
            data, _ = _extract(people, seed, extra)
            row = deposits.deposit(
                session,
                zone,
                OWNER,
                data,
                source=f"{extra}.csv",
                ward=WARD_A,
                department="福祉部",
                domain="welfare",
                title=extra,
                legal_basis="個人情報保護法 第69条第2項第2号",
                purpose="介護と医療の利用実態の分析",
                retention_until=date(2099, 3, 31),
                columns=json.loads(json.dumps({**COLUMNS, extra: {"kind": "sensitive"}})),
                key_column="記録番号",
                today=date(2026, 12, 7),
            )
            session.flush()
            deposits.decide_deposit(
                session, OFFICER, row.id, approve=True, note="", now=env.clock.now()
            )
            ids.append(row.id)
        purpose = deposits.request_purpose(
            session,
            ANALYST,
            ward=WARD_A,
            title="介護度と受診",
            description="",
            legal_basis="個人情報保護法 第69条第2項第2号",
            columns={ids[0]: ["生年月日", "性別", "住所", "要介護度"], ids[1]: ["主病名"]},
        )
        deposits.decide_purpose(session, OFFICER, purpose.id, approve=True, now=env.clock.now())
        linkage = analysis.run(
            session, zone, ANALYST, purpose_id=purpose.id, left_id=ids[0], right_id=ids[1]
        )
        release = analysis.request_release(
            session, zone, ANALYST, linkage.id, title="介護×医療", table=table
        )
        return release.id


def test_privacy_officer_reviews_and_approves_a_release(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    release_id = _pending_release(env)
    username = make_user(WARD_A, "privacy_officer")
    page = browser_page
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("link", name="データ連携基盤").first.click()
    page.get_by_role("heading", name="データ連携基盤").wait_for()
    page.get_by_role("link", name="介護×医療").click()

    report = page.locator("table").first.inner_text()
    for item in ("第1号", "第2号", "第3号", "第4号", "第5号"):
        assert item in report
    assert "person_key" in report and "生年月日" in report  # the view never held a name
    assert page.get_by_text("最大の再識別リスク").is_visible()
    page.get_by_label("メモ").fill("k=5・l=2 を確認。提供を承認。")
    page.get_by_role("button", name="提供を承認する").click()
    page.get_by_role("status").wait_for()
    assert "承認済み" in page.locator(".badge").first.inner_text()
    assert page.get_by_role("link", name="提供データをダウンロード(CSV)").is_visible()
    with env.db.session() as session:
        assert analysis.get_release(session, OFFICER, release_id).status == "approved"


def test_a_count_table_report_on_a_phone(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    """A table release's report — hidden cells and DP — readable at 390 px, axe-clean."""
    table = TableRequest([Dimension("住所", 2), Dimension("要介護度")], epsilon=0.5)
    release_id = _pending_release(env, table)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(make_user(WARD_A, "privacy_officer"))
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"/ebpm/zone/releases/{release_id}")
    page.get_by_role("heading", name="集計表").wait_for()
    assert page.get_by_text("離散ラプラス雑音").is_visible()
    hidden = page.get_by_role("table", name="秘匿したセル")
    assert "一次秘匿" in hidden.inner_text()
    assert_accessible(page)
    # The report itself fits the phone (the shared header is the layout's concern).
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')]"
        ".filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + ' ' + (e.textContent || '').slice(0, 30))"
    )
    assert not wide, f"sideways on a phone: {wide}"
