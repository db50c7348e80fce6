"""On-call pages over HTTP: create a team, set its members in order, plan the rota from
them, swap a shift, hand over, shape the escalation policy, acknowledge a page in the UI,
and the delivery log with a retry — in Japanese, accessible, and per ward."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.clock import JST, FakeClock
from rengo.core.runtime import Runtime
from rengo.csirt.settings import CsirtSettings
from rengo.notify.models import Delivery, OnCallPage, OnCallTeam, Shift, TeamMember
from tests.helpers import TEST_PASSWORD, WARD_A, WARD_B, csrf_of

# The HTML layer is under test here; the services below it run on SQLite and PostgreSQL in
# the API tests, so these pages run on SQLite only (the suite stays fast).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _log_in(client: TestClient, username: str) -> str:
    response = client.post(
        "/login", data={"username": username, "password": TEST_PASSWORD, "next": "/"}
    )
    assert response.status_code == 303, response.text
    return csrf_of(client)


def _post(client: TestClient, url: str, csrf: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": csrf, **data})


def test_a_ward_runs_its_contact_team_from_the_pages(
    client: TestClient,
    new_client: Callable[[], TestClient],
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
) -> None:
    manager, first, second = (make_user(WARD_A, role) for role in ("admin", "csirt", "ward_it"))
    csrf = _log_in(client, manager)
    overview = client.get("/oncall")
    assert overview.status_code == 200 and "チームの作成" in overview.text
    refused = _post(client, "/oncall/teams", csrf, name="", kind="ward_contact")
    assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
    created = _post(client, "/oncall/teams", csrf, name="千代田区連絡窓口", kind="ward_contact")
    assert created.status_code == 303
    url = created.headers["location"].split("?")[0]
    page = client.get(url).text
    assert "<h1>千代田区連絡窓口</h1>" in page and "既定のポリシー" in page
    for name in (first, second):
        assert _post(client, f"{url}/members", csrf, op="add", username=name).status_code == 303
    _post(client, f"{url}/members", csrf, op="up", username=second)
    with env.db.session() as session:
        team = session.scalar(select(OnCallTeam).where(OnCallTeam.name == "千代田区連絡窓口"))
        assert team is not None
        order = session.scalars(
            select(TeamMember.username)
            .where(TeamMember.team_id == team.id)
            .order_by(TeamMember.position)
        ).all()
        assert list(order) == [second, first]
    other_ward = make_user(WARD_B, "admin")
    assert _post(client, f"{url}/members", csrf, op="add", username=other_ward).status_code == 422
    start = clock.now().astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    bad_rota = _post(client, f"{url}/rota", csrf, start=start, shift_hours="0", count="3")
    assert bad_rota.status_code == 422 and 'id="rota-shift_hours-error"' in bad_rota.text
    assert (
        _post(client, f"{url}/rota", csrf, start=start, shift_hours="12", count="4").status_code
        == 303
    )
    with env.db.session() as session:
        shifts = session.scalars(
            select(Shift).where(Shift.team_id == team.id).order_by(Shift.starts_at)
        ).all()
        assert [s.username for s in shifts] == [second, first, second, first]
        later = shifts[2].id
    assert _post(client, f"{url}/shifts/{later}/swap", csrf, username=first).status_code == 303
    assert _post(client, f"{url}/handover", csrf, note="").status_code == 422
    assert _post(client, f"{url}/handover", csrf, note="VPN装置の監視を継続").status_code == 303
    assert "VPN装置の監視を継続" in client.get(url).text
    for data in (
        {"op": "add", "target": "user", "user": manager, "minutes": "5"},
        {"op": "add", "target": "team", "minutes": "10"},
    ):
        assert _post(client, f"{url}/escalation", csrf, **data).status_code == 303
    _post(client, f"{url}/escalation", csrf, op="remove", index="1")  # next on call
    missing_user = _post(client, f"{url}/escalation", csrf, op="add", target="user", minutes="5")
    assert missing_user.status_code == 422 and "呼び出す人を指定してください" in missing_user.text
    with env.db.session() as session:
        team = session.get(OnCallTeam, team.id)
        assert team is not None
        assert [s["target"] for s in team.escalation] == ["on_call", "manager", "user", "team"]
    english = client.get(url + "?lang=en").text
    assert "Escalation policy" in english and "Members in rota order" in english
    assert re.search(r'<label for="r-hours">Hours per shift', english)

    ward_b = new_client()
    _log_in(ward_b, make_user(WARD_B, "admin"))
    assert ward_b.get(url).status_code == 404
    assert "千代田区連絡窓口" not in ward_b.get("/oncall").text
    reader = new_client()
    reader_csrf = _log_in(reader, make_user(WARD_A, "ward_finance"))
    shown = reader.get(url).text
    assert "チームの設定" in shown and f'action="{url}/settings"' not in shown
    assert (
        _post(reader, f"{url}/settings", reader_csrf, name="x", kind="finance").status_code == 403
    )


def test_acknowledging_in_the_ui_and_the_delivery_log(
    client: TestClient,
    new_client: Callable[[], TestClient],
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    from rengo.core.permissions import SYSTEM
    from rengo.notify import oncall, paging
    from tests.helpers import free_port

    env.settings.section(CsirtSettings).smtp_port = free_port()  # nobody listens: the e-mail fails
    env.settings.section(CsirtSettings).delivery_attempts = 1
    person = make_user(WARD_A, "ward_it")
    with env.db.session() as session:
        from rengo.core.identity import User

        user = session.scalar(select(User).where(User.username == person))
        assert user is not None
        user.email = "it@chiyoda.example.test"
        team = oncall.create_team(
            session, SYSTEM, tenant=WARD_A, name="窓口", kind="ward_contact", settings=env.settings
        )
        oncall.add_shifts(
            session, SYSTEM, team.id, usernames=[person], start=clock.now(), shift_hours=24, count=1
        )
        page_id = paging.page_team(
            session, team, subject="応答確認", body="", settings=env.settings, now=clock.now()
        ).page.id
    assert worker_round()["failed"] == 1
    outsider = new_client()
    outsider_csrf = _log_in(outsider, make_user(WARD_A, "policy"))
    assert "呼び出された人が応答" in outsider.get("/oncall").text
    assert _post(outsider, f"/oncall/pages/{page_id}/ack", outsider_csrf).status_code == 403
    csrf = _log_in(client, person)
    acked = _post(client, f"/oncall/pages/{page_id}/ack", csrf)
    assert acked.status_code == 303 and acked.headers["location"] == "/oncall?saved=ack"
    with env.db.session() as session:
        page = session.get(OnCallPage, page_id)
        assert page is not None and page.status == "acknowledged" and page.acknowledged_by
    admin = new_client()
    admin_csrf = _log_in(admin, make_user(WARD_A, "admin"))
    log = admin.get("/oncall/deliveries?status=failed")
    assert log.status_code == 200 and "it@chiyoda.example.test" in log.text
    assert "Connection refused" in log.text and "1 / 1" in log.text
    # The on-call page names the failing channel and why, for those who read the log.
    overview = admin.get("/oncall").text
    assert "通知チャネルの障害" in overview and "メール（SMTP）" in overview
    assert "Connection refused" in overview and "内蔵送信箱" not in overview
    assert "通知チャネルの障害" not in outsider.get("/oncall").text
    with env.db.session() as session:
        failed_id = session.scalar(select(Delivery.id).where(Delivery.status == "failed"))
    again = _post(admin, f"/oncall/deliveries/{failed_id}/retry", admin_csrf)
    assert again.status_code == 303
    assert f"#{failed_id} の再送" in admin.get("/oncall/deliveries").text
    ward_b = new_client()
    _log_in(ward_b, make_user(WARD_B, "admin"))
    assert "it@chiyoda.example.test" not in ward_b.get("/oncall/deliveries").text


def test_out_of_the_box_e_mail_goes_to_the_built_in_outbox(
    client: TestClient,
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    worker_round: Callable[[], dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No SMTP setting (a fresh install, the demo): delivered to the outbox, none failed."""
    from rengo.core.permissions import SYSTEM
    from rengo.notify import oncall, paging

    assert not env.settings.section(CsirtSettings).uses_smtp()
    person = make_user(WARD_A, "ward_it")
    with env.db.session() as session:
        from rengo.core.identity import User

        user = session.scalar(select(User).where(User.username == person))
        assert user is not None
        user.email = "it@chiyoda.example.test"
        team = oncall.create_team(
            session, SYSTEM, tenant=WARD_A, name="窓口", kind="ward_contact", settings=env.settings
        )
        oncall.add_shifts(
            session, SYSTEM, team.id, usernames=[person], start=clock.now(), shift_hours=24, count=1
        )
        paging.page_team(
            session,
            team,
            subject="応答確認",
            body="サーバ室の温度警報",
            settings=env.settings,
            now=clock.now(),
        )
    with caplog.at_level("INFO", logger="rengo.notify.outbox"):
        report = worker_round()
    assert report["kept"] == 1 and report["failed"] == 0 and report["retrying"] == 0
    assert any(
        "built-in outbox" in r.getMessage() and "it@chiyoda" in r.getMessage()
        for r in caplog.records
    )
    with env.db.session() as session:
        [delivery] = session.scalars(select(Delivery)).all()
        assert delivery.status == "outbox" and delivery.sent_at is not None
    csrf = _log_in(client, make_user(WARD_A, "admin"))
    assert csrf
    log = client.get("/oncall/deliveries?status=outbox").text
    assert "内蔵送信箱" in log and "サーバ室の温度警報" in log and "/oncall/ack/" in log
    overview = client.get("/oncall").text
    assert "SMTP が設定されるまで" in overview and "通知チャネルの障害" not in overview
    # Setting SMTP (here: its port) ends the outbox.
    env.settings.section(CsirtSettings).smtp_port = 2525
    assert env.settings.section(CsirtSettings).uses_smtp()
