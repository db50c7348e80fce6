"""Issue 10 item 1: one poison record must never stop storage for every ward.

Over HTTP: the 6 KB body ``{"a":`` × 1000 is refused (422, naming the record) before
anything is acknowledged, and a canary event of another ward sent afterwards is stored;
a poison batch already in the spool (accepted by an older version) is quarantined with
its reason after a restart and what follows is stored; ``/readyz`` and a joint alert
report a stuck writer.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from datetime import timedelta

import orjson
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc.health import RULE_ID, HealthWatch
from rengo.soc.service import close_stores, store_for
from rengo.soc.spool import Batch
from tests.helpers import WARD_A, WARD_B
from tests.soc.test_api import auth, search, wait_stored

POISON = b'{"a":' * 1000 + b"1" + b"}" * 1000
CANARY = orjson.dumps({"time": "2026-05-01T10:00:00Z", "message": "canary after poison"})


def _canary_stored(client: TestClient, env: Runtime, token: str) -> None:
    response = client.post(
        "/api/v1/soc/ingest?format=json",
        content=CANARY,
        headers={**auth(token), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    wait_stored(env, response.json()["position"])
    events = search(client, token).json()["events"]
    assert [e["message"] for e in events] == ["canary after poison"]


def test_the_6kb_poison_body_is_refused_and_the_next_ward_is_stored(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    token_a = tokens(WARD_A, "ward_it")
    assert len(POISON) == 6001
    spool = store_for(env.data_dir, env.settings.soc, write=False).spool
    before = spool.end()
    for content_type in ("application/json", "application/x-ndjson"):
        response = client.post(
            "/api/v1/soc/ingest?format=json",
            content=POISON,
            headers={**auth(token_a), "Content-Type": content_type},
        )
        assert response.status_code == 422, response.text
        (problem,) = response.json()["problems"]
        assert problem["location"] == "body record 1"
        assert "nested 1000 levels deep (at most 64)" in problem["message"]
    # A poison line among good ones: the request is refused whole, naming the line.
    mixed = b"\n".join([CANARY, CANARY, POISON])
    response = client.post(
        "/api/v1/soc/ingest", content=mixed, headers={**auth(token_a), "Content-Type": "x"}
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["location"] == "body record 3"
    assert spool.end() == before  # nothing was acknowledged, nothing spooled
    _canary_stored(client, env, tokens(WARD_B, "ward_it"))


def test_a_poison_batch_spooled_before_a_restart_is_quarantined(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    # What a version without the edge check acknowledged: the poison sits in the spool
    # ahead of everything else when the server (re)starts.
    spool = store_for(env.data_dir, env.settings.soc, write=False).spool
    spool.append(
        [
            Batch(WARD_A, "http:old", "json", [POISON], content_type="application/json"),
            Batch(WARD_A, "http:old", "json", [b"[" * 3000 + b"]" * 3000], content_type="x"),
        ]
    )
    close_stores()  # the restart: nothing of the old process remains
    token_b = tokens(WARD_B, "ward_it")
    _canary_stored(client, env, token_b)
    joint = tokens("joint", "soc_analyst")
    stats = client.get("/api/v1/soc/stats", params={"days": 400}, headers=auth(joint)).json()
    reasons = sorted((q["ward"], q["reason"]) for q in stats["quarantine"])
    assert reasons == [
        (WARD_A, "body nests 2999 levels deep (at most 64)"),
        (WARD_A, "nested 1000 levels deep (at most 64)"),
    ]
    assert stats["total_events"] == 1


def test_readyz_and_an_alert_report_a_stuck_writer(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    assert client.get("/readyz").json()["status"] == "ok"
    store = store_for(env.data_dir, env.settings.soc, write=False)
    # Another process holds the writer lock and stores nothing (a stuck writer).
    with open(store.lake.root / "writer.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        received = env.clock.now() - timedelta(minutes=10)
        store.spool.append([Batch(WARD_A, "http:x", "json", [CANARY], received=received)])
        response = client.get("/readyz")
        assert response.status_code == 503
        lake = response.json()["soc_lake"]
        assert lake["ready"] is False and lake["lag_bytes"] > 0 and lake["last_commit"] is None
        assert lake["reasons"][0].startswith("lake writer stuck:")
        health = client.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "degraded"

        watch = HealthWatch(env)
        alert_id = watch.check_once()
        assert alert_id is not None
        assert watch.check_once() is None  # one alert per episode, not one per check
        joint = tokens("joint", "soc_analyst")
        found = client.get(f"/api/v1/soc/alerts/{alert_id}", headers=auth(joint))
        assert found.status_code == 200
        assert found.json()["rule_id"] == RULE_ID and found.json()["ward"] == "joint"
        ward = client.get(f"/api/v1/soc/alerts/{alert_id}", headers=auth(tokens(WARD_A)))
        assert ward.status_code == 404
        fcntl.flock(held, fcntl.LOCK_UN)
    # The lock is free: the next check starts the writer, which stores the batch.
    watch.check_once()
    wait_stored(env, store.spool.end())
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["soc_lake"]["last_commit"] is not None
