"""In a real browser: the planner starts a short live exercise from the library page,
watches the control page fill in by itself (injects sent, the expected detection fired,
through the server's own ingest and detection), pauses, resumes and aborts it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from rengo.core.runtime import Runtime
from rengo.drills.models import Exercise, Result
from rengo.soc.alerts_models import Alert
from tests.drills.conftest import SHORT_LIVE, following
from tests.helpers import JOINT, TEST_PASSWORD, WARD_A

pytestmark = pytest.mark.browser


@pytest.fixture
def app(env: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The live server detects what it ingests; its library holds the short scenario."""
    from rengo.drills import loader
    from rengo.web.app import create_app

    folder = tmp_path / "library"
    folder.mkdir()
    # The incident is given five minutes, so the run is still going when paused.
    longer = SHORT_LIVE.replace("within_minutes: 1\n", "within_minutes: 5\n")
    assert longer != SHORT_LIVE
    (folder / "short-live.yaml").write_text(longer, encoding="utf-8")
    monkeypatch.setattr(loader, "library_dir", lambda: folder)
    return create_app(following(env))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_live_control_page(
    browser_page: Any, env: Runtime, make_user: Callable[..., str]
) -> None:
    page = browser_page
    page.set_default_timeout(60_000)
    page.goto("/login")
    page.fill("input[name=username]", make_user(JOINT, "planner"))
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    page.goto("/drills")
    page.select_option("#scenario", "short-live")
    page.select_option("#wards", WARD_A)
    page.fill("#speed", "1")
    page.click("form[action='/drills/exercises'] button[type=submit]")
    page.wait_for_url("**/drills/exercises/EX-*")
    public_id = page.url.rsplit("/", 1)[1]
    # The page updates itself (htmx every 3 s): both injects sent, the detection fired.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#injects ~ .table-wrap tbody tr')]"
        ".every(r => r.cells[3].innerText.trim() !== '—') "
        "&& document.querySelectorAll('#injects ~ .table-wrap tbody tr').length === 2"
    )
    page.wait_for_selector("#live .status-met")  # 達成: an expected detection fired
    assert "ALR-" in page.inner_text("#live")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    page.click("button[value=pause]")
    page.wait_for_selector("#state:has-text('一時停止中')")
    assert _status(env, public_id) == "paused"
    page.click("button[value=resume]")
    page.wait_for_selector("#state:has-text('実施中')")
    assert _status(env, public_id) == "running"
    page.click("button[value=abort]")
    page.wait_for_selector("#state:has-text('中止')")
    assert _status(env, public_id) == "aborted"
    with env.db.session() as session:  # abort removed what it caused
        assert session.scalar(select(func.count()).select_from(Result)) == 0
        alerts = session.scalar(
            select(func.count()).select_from(Alert).where(Alert.exercise_id == public_id)
        )
        assert alerts == 0


def _status(env: Runtime, public_id: str) -> str | None:
    with env.db.session() as session:
        return session.scalar(select(Exercise.status).where(Exercise.public_id == public_id))
