"""In a real browser: a SOC alert becomes an incident, a disruptive containment action is
approved by a second person and carried out by the background worker while the page
waits, the timeline shows it, and the report downloads.

The alert is a real one of ``rengo.soc.alerts`` when the SOC's alert queue is installed
(see the ``soc_alert`` fixture), and the SOC then shows it closed as ``incident_opened``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr

from rengo.core.permissions import SYSTEM
from rengo.core.reports import japanese_font
from rengo.core.runtime import Runtime
from rengo.csirt import endpoints
from rengo.csirt.settings import CsirtSettings
from rengo.soc import alerts as soc_alerts
from tests.helpers import TEST_PASSWORD, WARD_A
from tests.notify.fixtures import WebhookReceiver

pytestmark = pytest.mark.browser


@pytest.fixture
def env(env: Runtime) -> Runtime:
    """The web server runs its worker here, as in production (it is woken by requests)."""
    env.settings.section(CsirtSettings).worker_interval_seconds = 5
    return env


def _log_in(page: Any, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_alert_to_contained_incident_to_report(
    browser_page: Any,
    env: Runtime,
    soc_alert: Callable[..., str],
    make_user: Callable[..., str],
    webhook_receiver: WebhookReceiver,
) -> None:
    if japanese_font() is None:
        pytest.skip("no Japanese font installed (apt-get install fonts-ipaexfont)")
    alert_id = soc_alert(WARD_A, "EDR: ランサムウェアの挙動", src_ip="203.0.113.66")
    # A real incident is contained through a real (local) signed webhook: the simulated
    # endpoint acts for demo and exercise incidents only.
    env.settings.section(CsirtSettings).webhook_secrets["ward_a_edr"] = SecretStr(
        "ward-a-edr-key-0123456789"
    )
    with env.db.session() as session:
        endpoints.create_connector(
            session,
            SYSTEM,
            tenant=WARD_A,
            name="千代田区EDR",
            kind="webhook",
            url=webhook_receiver.url + "/actions",
            secret_name="ward_a_edr",
        )
    responder, approver = make_user("joint", "csirt"), make_user(WARD_A, "ward_it")
    page = browser_page
    _log_in(page, responder)
    page.goto(f"/incidents/new?alert_ids={alert_id}")
    assert page.input_value("#alert_ids") == alert_id
    page.select_option("#category", "ransomware")
    page.click("text=インシデントを登録")
    page.wait_for_selector("h1:has-text('EDR: ランサムウェアの挙動')")
    incident_url = page.url
    page.select_option("#kind", "isolate_host")
    page.fill("#target", "pc-0042")
    page.fill("#action-reason", "暗号化の兆候")
    page.click("form[aria-label='封じ込め対処の依頼'] button[type=submit]")
    page.wait_for_selector("text=別の担当者の承認待ち")
    page.click("form[action='/logout'] button")
    _log_in(page, approver)
    page.goto(incident_url)
    page.fill("input[name=note]", "業務影響なしを確認")
    page.click("button[value=approve]")
    # The worker carries the action out; the page polls and refreshes when it is done.
    page.wait_for_selector(".action-status:has-text('成功')")
    timeline = page.inner_text("#timeline")
    # The timeline names the action kind in the page's language (issue 17), not its code.
    isolate = "端末のネットワーク隔離"
    assert f"Done: {isolate} pc-0042" in timeline and f"Approved {isolate}" in timeline
    assert [r.path for r in webhook_receiver.requests] == ["/actions"]
    assert f"Sent {isolate} pc-0042" in timeline and "First containment" in timeline
    assert "封じ込め" in page.inner_text("#contained-at") and "—" not in page.inner_text(
        "#contained-at"
    )
    with page.expect_download() as download_info:
        page.click("text=報告書(PDF)")
    download = download_info.value
    assert download.suggested_filename.startswith("incident-report-INC-")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    with env.db.session() as session:
        alert = soc_alerts.get_alert(session, SYSTEM, alert_id)
        assert alert.status == "closed" and alert.close_reason == "incident_opened"
