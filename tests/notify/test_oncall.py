"""On call: rotas, escalation timing on a fake clock, e-mail over a real local SMTP
server, signed Teams/Slack webhooks, acknowledgement by link, retries and the log."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from rengo.core.clock import FakeClock
from rengo.core.identity import User
from rengo.core.runtime import Runtime
from rengo.notify.signing import verify
from tests.helpers import WARD_A, WARD_B
from tests.notify.fixtures import WebhookReceiver, joint_people, joint_team, sent_subjects

Api = Callable[..., Any]


def test_acknowledged_page_stops_escalating_and_link_works_once_per_level(
    api: Api,
    client: Any,
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    webhook_receiver: WebhookReceiver,
) -> None:
    first, second, manager = joint_people(env, make_user, 3)
    env.settings.csirt.webhook_secrets["teams"] = SecretStr("teams-signing-key")
    team = joint_team(
        api,
        clock,
        [first, second],
        manager,
        webhook_url=webhook_receiver.url + "/teams",
        webhook_secret_name="teams",
    )
    paged = api(
        "POST",
        f"/api/v1/oncall/teams/{team['id']}/pages",
        ward="joint",
        json={"subject": "訓練: 応答確認", "body": "確認してください"},
    )
    assert paged.status_code == 201
    ran = api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()
    assert ran["sent"] == 1  # the webhook (no SMTP server: e-mail waits for its retry)
    [call] = webhook_receiver.requests
    verify("teams-signing-key", call.headers["x-rengo-signature"], call.body, now=int(time.time()))
    card = json.loads(call.body)
    assert card["@type"] == "MessageCard" and card["title"] == "[rengo 共同CSIRT] 訓練: 応答確認"
    link = card["rengo"]["link"]
    token = link.rsplit("/", 1)[1]
    clock.advance(minutes=16)
    api("POST", "/api/v1/oncall/run", ward="joint", role="admin")  # escalates: old link dies
    assert client.post(f"/api/v1/oncall/ack/{token}").status_code == 404
    second_card = json.loads(webhook_receiver.requests[-1].body)
    new_token = second_card["rengo"]["link"].rsplit("/", 1)[1]
    acked = client.post(f"/api/v1/oncall/ack/{new_token}")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == f"{second} (link)"
    clock.advance(hours=2)
    assert api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()["escalated"] == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the transport; SQL: other tests
def test_email_is_delivered_over_real_smtp(
    api: Api, env: Runtime, clock: FakeClock, make_user: Callable[..., str], smtp_server: Any
) -> None:
    env.settings.csirt.smtp_port = smtp_server.port
    env.settings.csirt.smtp_from = "csirt@rengo.example.test"
    first, second, manager = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first, second], manager)
    api(
        "POST",
        f"/api/v1/oncall/teams/{team['id']}/pages",
        ward="joint",
        json={"subject": "ランサムウェアの疑い", "body": "千代田区で暗号化を検知"},
    )
    assert api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()["sent"] == 1
    [message] = smtp_server.received
    assert message["To"] == f"{first}@csirt.example.test"
    assert message["From"] == "csirt@rengo.example.test"
    assert (
        str(make_header(decode_header(message["Subject"])))
        == "[rengo 共同CSIRT] ランサムウェアの疑い"
    )
    text = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "千代田区で暗号化を検知" in text and "/oncall/ack/" in text
    log = api("GET", "/api/v1/oncall/deliveries", ward="joint").json()
    assert log[0]["status"] == "sent" and log[0]["attempts"] == 1 and log[0]["channel"] == "email"


def test_failed_delivery_is_retried_with_backoff_then_given_up(
    api: Api, env: Runtime, clock: FakeClock, make_user: Callable[..., str]
) -> None:
    from tests.helpers import free_port

    env.settings.csirt.smtp_port = free_port()  # nobody listens
    env.settings.csirt.delivery_attempts = 3
    first, second, manager = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first, second], manager, ack_minutes=600)
    api("POST", f"/api/v1/oncall/teams/{team['id']}/pages", ward="joint", json={"subject": "x"})
    run = lambda: api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()  # noqa: E731
    assert run()["retrying"] == 1
    assert run()["retrying"] == 0  # not due before the back-off (60 s)
    clock.advance(seconds=60)
    assert run()["retrying"] == 1
    clock.advance(seconds=119)
    assert run()["failed"] == 0
    clock.advance(seconds=1)
    assert run()["failed"] == 1
    [entry] = api("GET", "/api/v1/oncall/deliveries?status=failed", ward="joint").json()
    assert entry["attempts"] == 3 and "Connection refused" in entry["last_error"]


def test_hand_over_and_ward_visibility(
    api: Api, env: Runtime, clock: FakeClock, make_user: Callable[..., str]
) -> None:
    first, second, manager = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first, second], manager)
    note = api(
        "POST",
        f"/api/v1/oncall/teams/{team['id']}/handover",
        ward="joint",
        json={"note": "INC-000001 は封じ込め済み、監視継続"},
    )
    assert note.status_code == 200 and note.json()["username"] == first
    ward_team = api(
        "POST",
        "/api/v1/oncall/teams",
        ward=WARD_A,
        json={"tenant": WARD_A, "name": "千代田区連絡窓口", "kind": "ward_contact"},
    )
    assert ward_team.status_code == 201
    assert ward_team.json()["ack_minutes"] == env.settings.csirt.escalation_ack_minutes
    assert (
        api(
            "POST",
            "/api/v1/oncall/teams",
            ward=WARD_A,
            json={"tenant": "joint", "name": "x", "kind": "csirt"},
        ).status_code
        == 403
    )
    seen = {
        t["name"] for t in api("GET", "/api/v1/oncall/teams", ward="131024", role="ward_it").json()
    }
    assert seen == {"共同CSIRT"}  # the joint team, not 千代田区's
    bad = api(
        "POST",
        f"/api/v1/oncall/teams/{team['id']}/shifts",
        ward="joint",
        json={
            "usernames": ["nobody"],
            "start": clock.now().isoformat(),
            "shift_hours": 8,
            "count": 1,
        },
    )
    assert (
        bad.status_code == 422
        and bad.json()["problems"][0]["message"] == "no user 'nobody' in this team's organisation"
    )


def test_escalation_policy_named_person_then_the_wholejoint_team(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    first, second, deputy = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first, second], first)
    url = f"/api/v1/oncall/teams/{team['id']}"
    assert (
        api("PUT", f"{url}/members", ward="joint", json={"usernames": [first, second]}).status_code
        == 200
    )
    bad = api(
        "PUT",
        f"{url}/escalation",
        ward="joint",
        json={"steps": [{"target": "user", "user": "nobody", "minutes": 5}]},
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "field steps[1].user"
    policy = api(
        "PUT",
        f"{url}/escalation",
        ward="joint",
        json={
            "steps": [
                {"target": "user", "user": deputy, "minutes": 5},
                {"target": "manager", "minutes": 3},
                {"target": "team", "minutes": 10},
            ]
        },
    )
    assert policy.status_code == 200 and policy.json()["own_escalation"] is True
    api("POST", f"{url}/pages", ward="joint", json={"subject": "訓練"})
    page = lambda: api("GET", "/api/v1/oncall/pages", ward="joint").json()[0]  # noqa: E731
    assert page()["target"] == deputy and page()["level"] == 0
    clock.advance(minutes=5)
    worker_round()
    assert page()["target"] == first and page()["level"] == 1  # the manager
    clock.advance(minutes=3)
    worker_round()
    assert page()["level"] == 2 and page()["called"] == [deputy, first, second]
    clock.advance(minutes=9)
    assert worker_round()["escalated"] == 0
    clock.advance(minutes=1)
    worker_round()
    assert page()["status"] == "exhausted"
    recipients = [r for r, _ in sent_subjects(env)]
    assert recipients == [f"{n}@csirt.example.test" for n in (deputy, first, first, second)]
    reset = api("PUT", f"{url}/escalation", ward="joint", json={"steps": []}).json()
    assert reset["own_escalation"] is False
    assert [s["target"] for s in reset["escalation"]] == ["on_call", "next_on_call", "manager"]


def test_team_settings_members_rota_from_members_and_a_swap(
    api: Api, env: Runtime, clock: FakeClock, make_user: Callable[..., str]
) -> None:
    first, second, third = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first], first)
    url = f"/api/v1/oncall/teams/{team['id']}"
    changed = api(
        "PATCH",
        url,
        ward="joint",
        json={
            "ack_minutes": 20,
            "manager": second,
            "webhook_url": "https://hooks.example.test/T1/B2/secret",
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["ack_minutes"] == 20 and changed.json()["manager"] == second
    assert changed.json()["webhook_url"] == "https://hooks.example.test/…"  # a credential
    ward_user = make_user(WARD_A, "csirt")
    refused = api("PUT", f"{url}/members", ward="joint", json={"usernames": [third, ward_user]})
    assert refused.status_code == 422 and ward_user in refused.json()["problems"][0]["message"]
    api("PUT", f"{url}/members", ward="joint", json={"usernames": [third, first, second]})
    start = clock.now() + timedelta(days=1)
    rota = api(
        "POST",
        f"{url}/shifts",
        ward="joint",
        json={"start": start.isoformat(), "shift_hours": 8, "count": 4, "replace": True},
    ).json()
    assert [s["username"] for s in rota] == [third, first, second, third]
    swapped = api("PATCH", f"{url}/shifts/{rota[1]['id']}", ward="joint", json={"username": second})
    assert swapped.status_code == 200 and swapped.json()["username"] == second
    upcoming = api("GET", url, ward="joint").json()["upcoming"]
    assert [s["username"] for s in upcoming if s["starts_at"] >= start.isoformat()[:19]][:2] == [
        third,
        second,
    ]
    past = api("GET", url, ward="joint").json()["upcoming"][0]  # the shift now running
    clock.advance(hours=12)
    assert (
        api(
            "PATCH", f"{url}/shifts/{past['id']}", ward="joint", json={"username": second}
        ).status_code
        == 409
    )
    assert api("PATCH", url, ward=WARD_A, json={"ack_minutes": 5}).status_code == 403


def test_a_failed_delivery_is_sent_again_by_hand_and_the_log_stays_per_ward(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    smtp_server: Any,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    from tests.helpers import free_port

    env.settings.csirt.delivery_attempts = 1
    env.settings.csirt.smtp_port = free_port()  # nobody listens
    person = make_user(WARD_A, "csirt")
    with env.db.session() as session:
        user = session.scalar(select(User).where(User.username == person))
        assert user is not None
        user.email = "oncall@chiyoda.example.test"
    team = api(
        "POST",
        "/api/v1/oncall/teams",
        ward=WARD_A,
        role="admin",
        json={"tenant": WARD_A, "name": "千代田区連絡窓口", "kind": "ward_contact"},
    ).json()
    api(
        "POST",
        f"/api/v1/oncall/teams/{team['id']}/shifts",
        ward=WARD_A,
        json={
            "usernames": [person],
            "start": clock.now().isoformat(),
            "shift_hours": 24,
            "count": 1,
        },
    )
    api("POST", f"/api/v1/oncall/teams/{team['id']}/pages", ward=WARD_A, json={"subject": "確認"})
    assert worker_round()["failed"] == 1
    [failed] = api("GET", "/api/v1/oncall/deliveries?status=failed", ward=WARD_A).json()
    assert api("GET", "/api/v1/oncall/deliveries", ward=WARD_B, role="admin").json() == []
    assert (
        api(
            "POST", f"/api/v1/oncall/deliveries/{failed['id']}/retry", ward=WARD_B, role="admin"
        ).status_code
        == 404
    )
    env.settings.csirt.smtp_port = smtp_server.port
    again = api("POST", f"/api/v1/oncall/deliveries/{failed['id']}/retry", ward=WARD_A)
    assert again.status_code == 201 and again.json()["retry_of"] == failed["id"]
    assert worker_round()["sent"] == 1
    [message] = smtp_server.received
    assert message["To"] == "oncall@chiyoda.example.test"
    log = {
        d["id"]: d["status"] for d in api("GET", "/api/v1/oncall/deliveries", ward=WARD_A).json()
    }
    assert log == {failed["id"]: "failed", again.json()["id"]: "sent"}
    assert (
        api("POST", f"/api/v1/oncall/deliveries/{failed['id']}/retry", ward=WARD_A).status_code
        == 201
    )
    [page] = api("GET", "/api/v1/oncall/pages", ward=WARD_A).json()
    assert (
        api(
            "POST", f"/api/v1/oncall/pages/{page['id']}/ack", ward=WARD_A, role="policy"
        ).status_code
        == 403
    )
    assert (
        api("POST", f"/api/v1/oncall/pages/{page['id']}/ack", ward=WARD_A).json()["status"]
        == "acknowledged"
    )
