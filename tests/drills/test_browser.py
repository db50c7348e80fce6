"""In a real browser: the facilitator console sends an inject, and a participant on a
phone-sized screen (390×844) sees it arrive by server-sent events, answers, and the
console shows the answer — neither page reloaded by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.loader import library, require
from rengo.drills.service import create_exercise
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_facilitator_console_and_a_participant_on_a_phone(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    scenario = require(library()["tabletop-ransomware"])
    now = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=[WARD_A], speed=1, start_at=now, now=now
        )
        public_id, code = exercise.public_id, str(exercise.join_code)
    console = browser_page
    console.goto("/login")
    console.fill("input[name=username]", make_user(JOINT, "planner"))
    console.fill("input[name=password]", TEST_PASSWORD)
    console.click("button[type=submit]")
    console.wait_for_url("**/")
    console.goto(f"/drills/exercises/{public_id}")
    assert console.inner_text("h1") == scenario.title.ja
    assert code in console.inner_text(".join-code")

    phone = console.context.browser.new_context(
        base_url=console.url.split("/drills")[0],
        locale="ja-JP",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    ).new_page()
    phone.set_default_timeout(15_000)
    phone.goto(f"/drills/join?code={code}")
    phone.fill("#name", "区長")
    phone.click("button:has-text('参加する')")
    phone.wait_for_selector("text=進行役からの状況付与を待っています")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    console.wait_for_selector("#people:has-text('参加者 (1)')")
    console.click("form[action$='/injects/first-report'] button")
    # The phone gets the inject without a reload (server-sent events).
    phone.wait_for_selector("text=身代金要求")
    phone.check("input[name=option][value='0']")
    phone.click("button:has-text('回答する')")
    phone.wait_for_selector("#answered:has-text('直ちに切り離す')")
    console.wait_for_selector("[data-inject='first-report']:has-text('1 / 1')")
    assert "区長" in console.inner_text("#board")
    phone.context.close()
