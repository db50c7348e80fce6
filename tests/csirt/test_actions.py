"""Containment actions: second-person approval, the signed webhook adapter against a real
HTTP endpoint, the simulated ward endpoint, and the first containment time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.csirt.models import SimulatedEffect
from rengo.csirt.signing import InvalidSignature, sign, verify
from tests.csirt.conftest import WebhookReceiver
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]
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
    response = api("POST", "/api/v1/csirt/connectors", role="admin",
                   json={"tenant": WARD_A, "name": "千代田区FW", "kind": "webhook", "url": url + "/actions",
                         "secret_name": "ward_a_fw", "capabilities": ["block_ip", "isolate_host"]})  # fmt: skip
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_disruptive_action_needs_a_second_person_then_runs_over_a_signed_webhook(
    api: Api, env: Runtime, clock: FakeClock, webhook_receiver: WebhookReceiver,
    open_incident: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    _webhook_connector(api, env, webhook_receiver.url)
    incident = open_incident(category="ransomware")
    base = f"/api/v1/incidents/{incident['id']}/actions"
    requested = api("POST", base, json={"kind": "isolate_host", "target": "pc-0042.chiyoda.lg.jp",
                                        "reason": "暗号化の兆候"})  # fmt: skip
    assert requested.status_code == 201, requested.text
    action = requested.json()
    assert action["status"] == "pending_approval" and action["disruptive"] is True
    assert webhook_receiver.requests == []
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
    assert approved.json()["status"] == "succeeded" and approved.json()["external_ref"] == "FW-1"
    [call] = webhook_receiver.requests
    assert call.path == "/actions"
    verify(SECRET, call.headers["x-rengo-signature"], call.body, now=int(time.time()))
    sent = json.loads(call.body)
    assert sent["kind"] == "isolate_host" and sent["target"] == "pc-0042.chiyoda.lg.jp"
    assert sent["incident"] == incident["ref"] and sent["approved_by"].startswith("ward_it@")
    body = api("GET", f"/api/v1/incidents/{incident['id']}").json()
    assert body["mttc_minutes"] == 25.0
    summaries = [
        e["summary"]
        for e in api("GET", f"/api/v1/incidents/{incident['id']}/timeline?kind=action").json()[
            "items"
        ]
    ]
    assert summaries[0].startswith("Requested isolate_host pc-0042.chiyoda.lg.jp")
    assert summaries[1].startswith("Approved") and summaries[2].startswith("Sent isolate_host")
    assert summaries[3].startswith("Done: isolate_host") and "FW-1" in summaries[3]


def test_webhook_retries_server_errors_and_stops_at_client_errors(
    api: Api, env: Runtime, webhook_receiver: WebhookReceiver, open_incident: Callable[..., dict[str, Any]],
) -> None:  # fmt: skip
    _webhook_connector(api, env, webhook_receiver.url)
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/actions"
    webhook_receiver.statuses = [503, 502]
    ok = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.9"}).json()
    assert ok["status"] == "succeeded" and ok["attempts"] == 3
    webhook_receiver.statuses = [400]
    refused = api("POST", base, json={"kind": "block_ip", "target": "198.51.100.10"}).json()
    assert refused["status"] == "failed" and refused["attempts"] == 1 and "400" in refused["error"]
    webhook_receiver.statuses = []
    retried = api("POST", f"{base}/{refused['id']}/retry").json()
    assert retried["status"] == "succeeded" and retried["attempts"] == 2


def test_unreachable_endpoint_fails_with_the_reason(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]]
) -> None:
    from tests.helpers import free_port

    _webhook_connector(api, env, f"http://127.0.0.1:{free_port()}")
    incident = open_incident()
    failed = api("POST", f"/api/v1/incidents/{incident['id']}/actions",
                 json={"kind": "block_ip", "target": "198.51.100.11"}).json()  # fmt: skip
    assert failed["status"] == "failed" and "ConnectError" in failed["error"]
    assert api("GET", f"/api/v1/incidents/{incident['id']}").json()["contained_at"] is None


def test_simulated_ward_endpoint_validates_and_keeps_its_state(
    api: Api, env: Runtime, open_incident: Callable[..., dict[str, Any]]
) -> None:
    created = api("POST", "/api/v1/csirt/connectors", ward=WARD_A, role="admin",
                  json={"tenant": WARD_A, "name": "demo", "kind": "simulated"})  # fmt: skip
    assert created.status_code == 201
    assert api("POST", "/api/v1/csirt/connectors", ward=WARD_A, role="admin",
               json={"tenant": WARD_B, "name": "x", "kind": "simulated"}).status_code == 403  # fmt: skip
    incident = open_incident()
    base = f"/api/v1/incidents/{incident['id']}/actions"
    refused = api("POST", base, json={"kind": "block_ip", "target": "192.168.1.5"}).json()
    assert refused["status"] == "failed" and "internal address" in refused["error"]
    done = api("POST", base, json={"kind": "block_domain", "target": "phish.example.net"}).json()
    assert done["status"] == "succeeded" and done["external_ref"].startswith(f"SIM-{WARD_A}-")
    with env.db.session() as session:
        effects = session.execute(select(SimulatedEffect.kind, SimulatedEffect.target)).all()
    assert [tuple(e) for e in effects] == [("block_domain", "phish.example.net")]
    wrong_ward = api(
        "POST", base, json={"kind": "block_ip", "target": "198.51.100.1", "ward": WARD_B}
    )
    assert wrong_ward.status_code == 422


def test_rejected_action_never_runs(api: Api, env: Runtime, clock: FakeClock,
                                    open_incident: Callable[..., dict[str, Any]]) -> None:  # fmt: skip
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
    assert api("GET", f"/api/v1/incidents/{incident['id']}").json()["contained_at"] is None
