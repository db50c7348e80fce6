"""The alert queue's pages: a ward sees its alerts only, triage through the forms."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc.alerts_ingest import ingest
from tests.helpers import WARD_A, WARD_B
from tests.soc.detect.alert_helpers import detection
from tests.soc.detect.test_alerts import NOW, SETTINGS


def test_ward_staff_work_their_queue(client: TestClient, env: Runtime, login: Any) -> None:
    with env.db.session() as s:
        own, other = ingest(
            s, [detection(WARD_A, "a"), detection(WARD_B, "b")], SETTINGS, NOW
        ).new_alerts
    csrf = login(client, WARD_A, "ward_it")
    page = client.get("/soc/alerts")
    assert page.status_code == 200 and own in page.text and other not in page.text
    assert "アラートキュー" in page.text
    assert client.get(f"/soc/alerts/{other}").status_code == 404
    detail = client.get(f"/soc/alerts/{own}")
    assert detail.status_code == 200 and "Rule a" in detail.text
    closed = client.post(
        f"/soc/alerts/{own}/status",
        data={
            "csrf_token": csrf,
            "status": "closed",
            "reason": "false_positive",
            "note": "known scanner",
        },
        follow_redirects=False,
    )
    assert closed.status_code == 303
    assert "known scanner" in client.get(f"/soc/alerts/{own}").text
    missing_csrf = client.post(f"/soc/alerts/{own}/assign", data={"assignee": "x"})
    assert missing_csrf.status_code == 403
    bad_date = client.post(
        f"/soc/alerts/{own}/suppress",
        data={"csrf_token": csrf, "expires_on": "soon", "reason": "x"},
    )
    assert bad_date.status_code == 422 and "expires_on" in bad_date.text


def test_joint_centre_filters_the_queue(client: TestClient, env: Runtime, login: Any) -> None:
    with env.db.session() as s:
        ingest(
            s,
            [detection(WARD_A, "a", level="low"), detection(WARD_B, "b", level="critical")],
            SETTINGS,
            NOW,
        )
    login(client, "joint", "soc_analyst")
    everything = client.get("/soc/alerts").text
    assert "Rule a" in everything and "Rule b" in everything
    critical = client.get(
        "/soc/alerts", params={"min_level": "high"}, headers={"HX-Request": "true"}
    ).text
    assert "Rule b" in critical and "Rule a" not in critical and "<html" not in critical
