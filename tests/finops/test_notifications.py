"""FinOps alerts reach each ward's finance contact team through the worker hook FinOps
registers itself (``rengo.finops.notifications``: finops never imports csirt), by e-mail
over a real local SMTP server — from the web server's worker and from ``rengo csirt worker``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rengo.core.identity import User
from rengo.core.runtime import Runtime
from rengo.finops.models import Alert
from rengo.notify.models import OnCallPage
from tests.helpers import WARD_A, WARD_B
from tests.notify.fixtures import with_fake_clock

Api = Callable[..., Any]


@pytest.fixture
def env(env: Runtime) -> Runtime:
    return with_fake_clock(env)


def _finops_alert(env: Runtime, ward: str, key: str, **extra: Any) -> int:
    """An alert as the FinOps anomaly scan records it (``finops_alerts``)."""
    fields: dict[str, Any] = {
        "kind": "spike",
        "business_system": "jumin_kihon_daicho",
        "service": "Amazon EC2",
        "day": date(2026, 5, 30),
        "actual": 812_000.0,
        "expected": 305_000.0,
        "message": "Amazon EC2: 812,000 against an expected 305,000 (spike)",
    }
    fields.update(extra)
    with env.db.session() as session:
        alert = Alert(key=key, ward=ward, **fields)
        session.add(alert)
        session.flush()
        return alert.id


def _finance_person(env: Runtime, make_user: Callable[..., str], ward: str) -> str:
    name = make_user(ward, "ward_finance")
    with env.db.session() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user is not None
        user.email = f"{name}@finance.example.test"
    return name


def _notified(env: Runtime, alert_id: int) -> bool:
    with env.db.session() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert.notified_at is not None


def _subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_finops_alerts_page_the_wards_finance_team_over_smtp(
    api: Api,
    env: Runtime,
    make_user: Callable[..., str],
    smtp_server: Any,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    env.settings.csirt.smtp_port = smtp_server.port
    first, second = _finance_person(env, make_user, WARD_A), _finance_person(env, make_user, WARD_A)
    team = api(
        "POST",
        "/api/v1/oncall/teams",
        ward=WARD_A,
        role="admin",
        json={"tenant": WARD_A, "name": "千代田区財務連絡", "kind": "finance"},
    )
    assert team.status_code == 201, team.text
    assert [s["target"] for s in team.json()["escalation"]] == ["team", "manager"]
    members = api(
        "PUT",
        f"/api/v1/oncall/teams/{team.json()['id']}/members",
        ward=WARD_A,
        role="admin",
        json={"usernames": [first, second]},
    )
    assert members.status_code == 200 and members.json()["members"] == [first, second]
    spike = _finops_alert(env, WARD_A, "spike:131016:ec2:2026-05-30")
    budget = _finops_alert(
        env,
        WARD_A,
        "budget:1:2026-06",
        kind="budget",
        service="",
        message="forecast 1,200,000,000 exceeds the budget 1,000,000,000 for FY2026",
    )
    ran = worker_round()
    assert ran["hooked"] == 2 and ran["sent"] == 2
    assert _notified(env, spike) and _notified(env, budget)
    by_recipient = {m["To"]: m for m in smtp_server.received}
    assert set(by_recipient) == {f"{first}@finance.example.test", f"{second}@finance.example.test"}
    message = by_recipient[f"{first}@finance.example.test"]
    assert _subject(message) == "[rengo 千代田区財務連絡] [FinOps] 千代田区: コストのアラート 2 件"
    text = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "Amazon EC2: 812,000" in text and "予算超過見込み" in text
    assert "/finops/anomalies?ward=131016" in text and "/oncall/ack/" in text
    assert worker_round()["hooked"] == 0  # each alert is sent once
    assert len(smtp_server.received) == 2
    [page] = api("GET", "/api/v1/oncall/pages", ward=WARD_A, role="admin").json()
    assert page["called"] == [first, second] and page["status"] == "open"


def test_a_ward_without_a_finance_team_gets_its_finance_staff_mailed_or_waits(
    env: Runtime,
    make_user: Callable[..., str],
    smtp_server: Any,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    env.settings.csirt.smtp_port = smtp_server.port
    staff = _finance_person(env, make_user, WARD_B)
    for_b = _finops_alert(env, WARD_B, "spike:131024:x:2026-05-30")
    nobody = _finops_alert(env, "131032", "spike:131032:x:2026-05-30")  # 港区: no one to tell
    ran = worker_round()
    assert ran["hooked"] == 1 and ran["sent"] == 1
    [message] = smtp_server.received
    assert message["To"] == f"{staff}@finance.example.test"
    assert _subject(message).startswith("[FinOps] 中央区: 急増")
    assert _notified(env, for_b) and not _notified(env, nobody)  # waits for a contact
    with env.db.session() as session:
        assert session.scalar(select(OnCallPage.id)) is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the wiring; SQL: tests above
def test_rengo_csirt_worker_runs_the_finops_hook(
    env: Runtime,
    db_url: str,
    tmp_path: Path,
    make_user: Callable[..., str],
    smtp_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rengo.cli import app

    staff = _finance_person(env, make_user, WARD_A)
    alert = _finops_alert(env, WARD_A, "level_shift:131016:s3:2026-05-30", kind="level_shift")
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    monkeypatch.setenv("RENGO_CSIRT__SMTP_PORT", str(smtp_server.port))
    result = CliRunner().invoke(
        app, ["csirt", "worker", "--once", "--data-dir", str(tmp_path / "cli-data")]
    )
    assert result.exit_code == 0, result.output
    assert "notifier hooks: finops_alerts" in result.output and "hooks 1" in result.output
    [message] = smtp_server.received
    assert message["To"] == f"{staff}@finance.example.test"
    assert "水準変化" in message.get_payload(decode=True).decode(message.get_content_charset())
    assert _notified(env, alert)
