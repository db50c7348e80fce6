"""A joint-centre analyst in a real browser on a 390-px phone: password, forced enrolment with
the QR code and key, a code from the app, the recovery codes, then the dashboard; next time
the code step."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pyotp
import pytest

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from tests.helpers import JOINT, TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(TEST_PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_a_joint_analyst_enrols_on_a_phone_and_logs_in_with_a_code(
    browser_page: Any, make_user: Callable[..., str], env: Runtime
) -> None:
    clock = FakeClock(datetime(2026, 12, 7, 0, 0, tzinfo=UTC))
    env.clock = clock
    env.settings.auth.mfa_required = True
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    username = make_user(JOINT, "soc_analyst")

    _log_in(page, username)
    page.get_by_role("heading", name="2段階ログイン").wait_for()
    assert page.get_by_role("alert").inner_text().startswith("このアカウントは")
    qr = page.locator("figure.qr svg").bounding_box()
    assert qr is not None and qr["x"] + qr["width"] <= 390  # the QR code fits the phone
    key = page.locator("code.totp-secret").inner_text().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    page.get_by_label("確認コード").fill(pyotp.TOTP(key).at(clock.now()))
    page.get_by_role("button", name="2段階ログインを有効にする").click()
    page.get_by_role("heading", name="回復コード").wait_for()
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("link", name="続ける").click()
    page.get_by_role("heading", name="23区の政策目標").wait_for()

    page.get_by_role("button", name="ログアウト").click()
    clock.advance(seconds=30)
    _log_in(page, username)
    page.get_by_role("heading", name="確認コードの入力").wait_for()
    page.get_by_label("確認コード").fill(pyotp.TOTP(key).at(clock.now()))
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("heading", name="23区の政策目標").wait_for()
