"""The alert queue's pages: a ward sees its alerts only, triage through the forms."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

import rengo.web
from rengo.core import audit
from rengo.core.runtime import Runtime
from rengo.soc.alerts_ingest import ingest
from rengo.soc.alerts_models import Alert
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


def test_severity_is_colour_and_words(client: TestClient, env: Runtime, login: Any) -> None:
    with env.db.session() as s:
        ingest(s, [detection(WARD_A, "a", level="critical")], SETTINGS, NOW)
    login(client, WARD_A, "ward_it")
    assert '<span class="level level-critical">重大</span>' in client.get("/soc/alerts").text
    english = client.get("/soc/alerts?lang=en").text
    assert '<span class="level level-critical">critical</span>' in english
    css = (Path(rengo.web.__file__).parent / "static" / "rengo.css").read_text()
    for level in ("informational", "low", "medium", "high", "critical"):
        assert re.search(rf"\.level-{level} \{{ background: #\w+; color: #\w+; \}}", css), level


def _alert_state(env: Runtime, public_id: str) -> tuple[str, str]:
    with env.db.session() as s:
        alert = s.scalars(select(Alert).where(Alert.public_id == public_id)).one()
        return alert.status, alert.assignee or ""


def _audited(env: Runtime, action: str) -> list[str]:
    with env.db.session() as s:
        return sorted(str(e.object_id) for e in audit.query(s, tenants=None, action=action))


def test_bulk_triage_is_all_or_nothing_with_one_check_and_entry_per_alert(
    client: TestClient, env: Runtime, login: Any
) -> None:
    with env.db.session() as s:
        one, two, other = ingest(
            s,
            [detection(WARD_A, "a"), detection(WARD_A, "b"), detection(WARD_B, "c")],
            SETTINGS,
            NOW,
        ).new_alerts
    csrf = login(client, WARD_A, "ward_it")
    queue = client.get("/soc/alerts").text
    assert 'action="/soc/alerts/bulk"' in queue and f'value="{one}"' in queue
    assert "選択したアラートに適用" in queue

    def bulk(ids: list[str], **form: str) -> Any:
        return client.post(
            "/soc/alerts/bulk", data={"csrf_token": csrf, "alert_ids": ids, "back": "?q=", **form}
        )

    # Ward B's alert among the chosen: named, and nothing changes — not even ward A's two.
    refused = bulk([one, two, other], action="acknowledge")
    assert refused.status_code == 422 and other in refused.text
    assert "いずれも変更されていません" in refused.text
    assert _alert_state(env, one)[0] == "new" and _alert_state(env, two)[0] == "new"
    assert _audited(env, "soc.alert.acknowledged") == []
    no_reason = bulk([one, two], action="close")
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    assert bulk([], action="close", reason="benign").status_code == 422
    assert bulk([one], action="delete").status_code == 422

    acknowledged = bulk([one, two], action="acknowledge")
    assert acknowledged.status_code == 303
    assert acknowledged.headers["location"] == "/soc/alerts?q=&changed=2"
    assert "2 件のアラートを変更しました" in client.get(acknowledged.headers["location"]).text
    assert _audited(env, "soc.alert.acknowledged") == sorted([one, two])
    assigned = bulk([one, two], action="assign", assignee="yamada")
    assert assigned.status_code == 303
    assert _alert_state(env, one) == ("acknowledged", "yamada")
    assert _audited(env, "soc.alert.assigned") == sorted([one, two])
    closed = bulk([one, two], action="close", reason="false_positive", note="scanner")
    assert closed.status_code == 303
    assert {_alert_state(env, one)[0], _alert_state(env, two)[0]} == {"closed"}
    assert _audited(env, "soc.alert.closed") == sorted([one, two])
    assert _alert_state(env, other)[0] == "new"
