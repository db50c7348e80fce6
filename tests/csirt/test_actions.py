"""Containment actions: second-person approval, the signed webhook against a real HTTP
endpoint run by the background worker (never in the request), retries with back-off for
failing and slow endpoints, the simulated ward endpoint, and the first containment time."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.csirt.models import SimulatedEffect
from rengo.csirt.worker import Worker
from rengo.notify.signing import InvalidSignature, sign, verify
from tests.helpers import WARD_A, WARD_B
from tests.notify.fixtures import WebhookReceiver

Api = Callable[..., Any]
Round = Callable[[], dict[str, Any]]
SECRET = "ward-a-firewall-key-0123456789"


def test_signature_round_trip_and_tampering() -> None:
    body = b'{"kind": "block_ip"}'
    header = sign(SECRET, body, 1_700_000_000)
    verify(SECRET, header, body, now=1_700_000_100)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(SECRET, header, body + b" ", now=1_700_000_100)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify("other-key", header, body, now=1_700_000_100)
    with pytest.raises(InvalidSignature, match="away from now"):
        verify(SECRET, header, body, now=1_700_000_000 + 301)
    with pytest.raises(InvalidSignature, match="malformed"):
        verify(SECRET, "v1=abc", body, now=1_700_000_000)


def _webhook_connector(api: Api, env: Runtime, url: str) -> int:
    env.settings.csirt.webhook_secrets["ward_a_fw"] = SecretStr(SECRET)
    response = api(
        "POST",
        "/api/v1/csirt/connectors",
        role="admin",
        json={
            "tenant": WARD_A,
            "name": "千代田区FW",
            "kind": "webhook",
            "url": url + "/actions",
            "secret_name": "ward_a_fw",
            "capabilities": ["block_ip", "isolate_host"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["secret_configured"] is True and SECRET not in response.text
    return int(response.json()["id"])


def _summaries(api: Api, incident_id: int) -> list[str]:
    items = api("GET", f"/api/v1/incidents/{incident_id}/timeline?kind=action").json()["items"]
    return [e["summary"] for e in items]


def _action(api: Api, incident_id: int, action_id: int) -> dict[str, Any]:
    [found] = [
        a
        for a in api("GET", f"/api/v1/incidents/{incident_id}/actions").json()
        if a["id"] == action_id
    ]
    return dict(found)


def test_disruptive_action_needs_a_second_person_then_the_worker_runs_it_over_a_signed_webhook(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    webhook_receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
    worker_round: Round,
) -> None:
    _webhook_connector(api, env, webhook_receiver.url)
    incident = open_incident(category="ransomware")
    base = f"/api/v1/incidents/{incident['id']}/actions"
    requested = api(
        "POST",
        base,
        json={"kind": "isolate_host", "target": "pc-0042.chiyoda.lg.jp", "reason": "暗号化の兆候"},
    )
    assert requested.status_code == 201, requested.text
    action = requested.json()
    assert action["status"] == "pending_approval" and action["disruptive"] is True
    assert action["running"] is False
    same_person = api("POST", f"{base}/{action['id']}/approve", json={"note": "ok"})
    assert same_person.status_code == 403
    assert "second person" in same_person.json()["message"]
    other_ward = api("POST", f"{base}/{action['id']}/approve", ward=WARD_B, role="ward_it", json={})
    assert other_ward.status_code == 404
    not_closable = api(
        "POST",
        f"/api/v1/incidents/{incident['id']}/transitions",
        json={"to": "closed", "reason": "x"},
    )
    assert "wait for approval" in json.dumps(not_closable.json())
    clock.advance(minutes=25)
    approved = api("POST", f"{base}/{action['id']}/approve", role="ward_it", json={"note": "承認"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["running"] is True
    assert webhook_receiver.requests == []  # the request did not call the ward
    assert worker_round()["actions_succeeded"] == 1
    done = _action(api, incident["id"], action["id"])
    assert (
        done["status"] == "succeeded" and done["external_ref"] == "FW-1" and done["attempts"] == 1
    )
    [call] = webhook_receiver.requests
    assert call.path == "/actions"
    verify(SECRET, call.headers["x-rengo-signature"], call.body, now=int(time.time()))
    sent = json.loads(call.body)
    assert sent["kind"] == "isolate_host" and sent["target"] == "pc-0042.chiyoda.lg.jp"
    assert sent["incident"] == incident["ref"] and sent["approved_by"].startswith("ward_it@")
    body = api("GET", f"/api/v1/incidents/{incident['id']}").json()
    assert body["mttc_minutes"] == 25.0
    summaries = _summaries(api, incident["id"])
    assert summaries[0].startswith("Requested isolate_host pc-0042.chiyoda.lg.jp")
    assert summaries[1].startswith("Approved")
    assert (
        summaries[2]
        == "Sent isolate_host pc-0042.chiyoda.lg.jp to 131016 via 千代田区FW (attempt 1 of 3)"
    )
    assert summaries[3].startswith("Done: isolate_host") and "FW-1" in summaries[3]


def test_failing_endpoint_is_retried_with_back_off_then_fails_and_can_be_retried(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    webhook_receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
    worker_round: Round,
) -> None:
    env.settings.csirt.action_backoff_seconds = 30
    _webhook_connector(api, env, webhook_receiver.url)
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/actions"
    webhook_receiver.statuses = [503, 502, 500]
    action = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.9"}).json()
    assert action["status"] == "approved" and action["running"] is True
    assert worker_round()["actions_retrying"] == 1
    assert worker_round()["actions_retrying"] == 0  # not due before the back-off (30 s)
    clock.advance(seconds=29)
    assert worker_round()["actions_retrying"] == 0
    clock.advance(seconds=1)
    assert worker_round()["actions_retrying"] == 1
    waiting = _action(api, incident["id"], action["id"])
    assert (
        waiting["status"] == "approved" and waiting["attempts"] == 2 and "502" in waiting["error"]
    )
    clock.advance(seconds=60)  # the second back-off doubles
    assert worker_round()["actions_failed"] == 1
    failed = _action(api, incident["id"], action["id"])
    assert failed["status"] == "failed" and failed["attempts"] == 3 and "500" in failed["error"]
    assert len(webhook_receiver.requests) == 3
    summaries = _summaries(api, incident["id"])
    assert [s.split(" (attempt")[1] for s in summaries if s.startswith("Sent")] == [
        " 1 of 3)",
        " 2 of 3)",
        " 3 of 3)",
    ]
    assert sum("trying again in" in s for s in summaries) == 2 and summaries[-1].startswith(
        "Failed"
    )
    assert api("GET", f"/api/v1/incidents/{incident['id']}").json()["contained_at"] is None
    retried = api("POST", f"{base}/{action['id']}/retry").json()
    assert retried["status"] == "approved" and retried["running"] is True
    assert worker_round()["actions_succeeded"] == 1
    assert _action(api, incident["id"], action["id"])["attempts"] == 4
    webhook_receiver.statuses = [400]
    refused = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.10"}).json()
    assert worker_round()["actions_failed"] == 1  # a 4xx answer is final
    final = _action(api, incident["id"], refused["id"])
    assert final["status"] == "failed" and final["attempts"] == 1 and "400" in final["error"]
    assert api("POST", f"{base}/{action['id']}/retry").status_code == 409  # succeeded


# The worker's thread and the HTTP time-out are under test here; the queue's SQL (claim,
# back-off, give up) runs on both databases in the test above.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_slow_endpoint_never_holds_the_request_and_a_time_out_is_retried(
    app: Any,
    api: Api,
    env: Runtime,
    clock: FakeClock,
    webhook_receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    env.settings.csirt.webhook_timeout_seconds = 5
    env.settings.csirt.action_backoff_seconds = 0  # retry at once: the worker loops on its own
    _webhook_connector(api, env, webhook_receiver.url)
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/actions"
    # The in-process worker, woken by the request (as the web server runs it).
    worker = Worker(env.db, env.settings, env.clock, interval=30).start()
    app.state.csirt_worker = worker
    try:
        # The ward's endpoint does not answer until we let it: the request answers anyway.
        webhook_receiver.hold = threading.Event()
        answered = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.12"})
        assert answered.status_code == 201 and answered.json()["status"] == "approved"
        assert answered.json()["running"] is True and not webhook_receiver.hold.is_set()
        _wait_for(lambda: len(webhook_receiver.requests) == 1)  # the call is on its way
        assert _action(api, incident["id"], answered.json()["id"])["status"] == "running"
        webhook_receiver.hold.set()
        _wait_for(
            lambda: _action(api, incident["id"], answered.json()["id"])["status"] == "succeeded"
        )
        # An endpoint slower than the time-out: the attempt fails and is tried again.
        webhook_receiver.hold = None
        env.settings.csirt.webhook_timeout_seconds = 0.3
        webhook_receiver.delays = [1.0]
        slow = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.13"}).json()
        _wait_for(lambda: _action(api, incident["id"], slow["id"])["status"] == "succeeded")
    finally:
        app.state.csirt_worker = None
        worker.stop()
    summaries = _summaries(api, incident["id"])
    assert any("ReadTimeout" in s and "trying again" in s for s in summaries), summaries
    assert summaries[-1].startswith("Done: block_ip 198.51.100.13")
    assert _action(api, incident["id"], slow["id"])["attempts"] == 2


def _wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.05)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the transport; SQL: tests above
def test_unreachable_endpoint_fails_with_the_reason(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    open_incident: Callable[..., dict[str, Any]],
    worker_round: Round,
) -> None:
    from tests.helpers import free_port

    env.settings.csirt.action_attempts = 1
    _webhook_connector(api, env, f"http://127.0.0.1:{free_port()}")
    incident = open_incident()
    action = api(
        "POST",
        f"/api/v1/incidents/{incident['id']}/actions",
        json={"kind": "block_ip", "target": "198.51.100.11"},
    ).json()
    assert worker_round()["actions_failed"] == 1
    failed = _action(api, incident["id"], action["id"])
    assert failed["status"] == "failed" and "ConnectError" in failed["error"]
    assert api("GET", f"/api/v1/incidents/{incident['id']}").json()["contained_at"] is None


def test_simulated_ward_endpoint_validates_and_keeps_its_state(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]], worker_round: Round
) -> None:
    created = api(
        "POST",
        "/api/v1/csirt/connectors",
        ward=WARD_A,
        role="admin",
        json={"tenant": WARD_A, "name": "demo", "kind": "simulated"},
    )
    assert created.status_code == 201 and created.json()["secret_configured"] is None
    assert (
        api(
            "POST",
            "/api/v1/csirt/connectors",
            ward=WARD_A,
            role="admin",
            json={"tenant": WARD_B, "name": "x", "kind": "simulated"},
        ).status_code
        == 403
    )
    incident = open_incident(origin="exercise")
    base = f"/api/v1/incidents/{incident['id']}/actions"
    refused = api("POST", base, json={"kind": "block_ip", "target": "192.168.1.5"}).json()
    done = api("POST", base, json={"kind": "block_domain", "target": "phish.example.net"}).json()
    ran = worker_round()
    assert ran["actions_succeeded"] == 1 and ran["actions_failed"] == 1
    refused = _action(api, incident["id"], refused["id"])
    assert refused["status"] == "failed" and "internal address" in refused["error"]
    done = _action(api, incident["id"], done["id"])
    assert done["status"] == "succeeded" and done["external_ref"].startswith(f"SIM-{WARD_A}-")
    with env.db.session() as session:
        effects = session.execute(select(SimulatedEffect.kind, SimulatedEffect.target)).all()
    assert [tuple(e) for e in effects] == [("block_domain", "phish.example.net")]
    wrong_ward = api(
        "POST", base, json={"kind": "block_ip", "target": "198.51.100.1", "ward": WARD_B}
    )
    assert wrong_ward.status_code == 422


def test_rejected_action_never_runs(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    open_incident: Callable[..., dict[str, Any]],
    worker_round: Round,
) -> None:
    api(
        "POST",
        "/api/v1/csirt/connectors",
        role="admin",
        json={"tenant": WARD_A, "name": "s", "kind": "simulated"},
    )
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/actions"
    action = api("POST", base, json={"kind": "disable_account", "target": "tanaka@chiyoda"}).json()
    clock.advance(minutes=1)
    rejected = api(
        "POST", f"{base}/{action['id']}/reject", ward="joint", json={"note": "業務影響大"}
    ).json()
    assert rejected["status"] == "rejected" and rejected["decided_by"].startswith("csirt@joint")
    assert api("POST", f"{base}/{action['id']}/approve", ward="joint", json={}).status_code == 409
    assert worker_round()["actions_succeeded"] == 0
    assert api("GET", f"/api/v1/incidents/{incident['id']}").json()["contained_at"] is None


def _simulated_action(
    api: Api, open_incident: Callable[..., dict[str, Any]], origin: str
) -> tuple[int, int]:
    """A simulated endpoint at ward A and a block of a domain for an incident of ``origin``."""
    api(
        "POST",
        "/api/v1/csirt/connectors",
        role="admin",
        json={"tenant": WARD_A, "name": "sim", "kind": "simulated"},
    )
    incident = open_incident(origin=origin)
    base = f"/api/v1/incidents/{incident['id']}/actions"
    action = api("POST", base, json={"kind": "block_domain", "target": "c2.example.net"}).json()
    return int(incident["id"]), int(action["id"])


def test_the_simulated_endpoint_refuses_a_real_incident_by_default(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]], worker_round: Round
) -> None:
    assert env.settings.csirt.simulated_connectors == "demo_only"
    incident_id, action_id = _simulated_action(api, open_incident, "real")
    ran = worker_round()
    assert ran["actions_succeeded"] == 0 and ran["actions_failed"] == 1
    action = _action(api, incident_id, action_id)
    assert action["status"] == "failed" and "demo and exercise incidents only" in action["error"]
    assert api("GET", f"/api/v1/incidents/{incident_id}").json()["contained_at"] is None
    with env.db.session() as session:
        assert session.scalar(select(SimulatedEffect.id)) is None


def test_marked_simulation_of_a_real_incident_never_counts_as_containment(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]], worker_round: Round
) -> None:
    env.settings.csirt.simulated_connectors = "marked"
    real_id, real_action = _simulated_action(api, open_incident, "real")
    drill_id, _ = _simulated_action(api, open_incident, "exercise")
    assert worker_round()["actions_succeeded"] == 2
    action = _action(api, real_id, real_action)
    assert action["status"] == "succeeded" and action["external_ref"].startswith("SIM-")
    assert api("GET", f"/api/v1/incidents/{real_id}").json()["contained_at"] is None
    assert any(s.startswith("Simulated (nothing contained)") for s in _summaries(api, real_id))
    # An exercise's simulated containment is its containment (exercises stay out of targets).
    assert api("GET", f"/api/v1/incidents/{drill_id}").json()["contained_at"] is not None
    assert not any(s.startswith("Simulated") for s in _summaries(api, drill_id))
