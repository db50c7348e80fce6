"""End to end: a shared indicator seen in a ward's logs becomes that ward's SOC alert.

HTTP ingest → spool → lake → intel's live matching → ``rengo.soc.alerts.raise_alert``
→ the alert queue, read back over the alert API with each ward's token.
"""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.intel import hunting
from rengo.intel.collections import FEEDS, get_collection
from rengo.intel.ingest import ingest
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from tests.helpers import JOINT, WARD_A, WARD_B, bearer
from tests.intel.helpers import indicator

C2 = "203.0.113.66"


def test_indicator_hit_in_the_lake_is_an_alert_of_that_ward(
    client: TestClient, env: Runtime, tokens: object
) -> None:
    shared = indicator(C2, name="C2 of a ransomware crew")
    with env.db.session() as session:
        feeds = get_collection(session, SYSTEM, FEEDS)
        ingest(session, env.settings, SYSTEM, feeds, [shared], now=env.clock.now(), source="test")
    ward_a, ward_b = bearer(tokens(WARD_A, "ward_it")), bearer(tokens(WARD_B, "ward_it"))  # type: ignore[operator]
    joint = bearer(tokens(JOINT, "soc_analyst"))  # type: ignore[operator]
    when = env.clock.now().isoformat()
    body = b"\n".join(
        orjson.dumps(row)
        for row in (
            {
                "time": when,
                "class_uid": 4001,
                "src_ip": "10.1.2.3",
                "dst_ip": C2,
                "dst_port": 443,
                "action": "accept",
                "device_hostname": "pc-12",
            },
            {"time": when, "class_uid": 4001, "src_ip": "10.1.2.4", "dst_ip": "198.51.100.1"},
        )
    )
    sent = client.post("/api/v1/soc/ingest?format=json", content=body, headers=ward_a)
    assert sent.status_code == 200, sent.text
    assert store_for(env.data_dir, env.settings.section(SocSettings)).wait_stored(
        sent.json()["position"], 30
    )

    assert hunting.match_new_events(env.db, env.settings, env.data_dir, env.clock.now()) == 1

    (alert,) = client.get("/api/v1/soc/alerts?kind=intel", headers=ward_a).json()["items"]
    assert (alert["ward"], alert["source"], alert["level"]) == (WARD_A, "intel", "high")
    assert alert["indicator"] == shared["id"] and "C2 of a ransomware crew" in alert["rule_title"]
    detail = client.get(f"/api/v1/soc/alerts/{alert['public_id']}", headers=ward_a).json()
    stored = client.get(
        "/api/v1/soc/events",
        params={
            "since": "2000-01-01T00:00:00Z",
            "until": "2100-01-01T00:00:00Z",
            "filter": f"dst_ip:{C2}",
        },
        headers=ward_a,
    ).json()["events"]
    assert detail["event_ids"] == [e["event_id"] for e in stored]  # the lake's own event id
    # Another ward neither lists nor opens it; the joint centre sees it.
    assert client.get("/api/v1/soc/alerts?kind=intel", headers=ward_b).json()["items"] == []
    assert client.get(f"/api/v1/soc/alerts/{alert['public_id']}", headers=ward_b).status_code == 404
    assert [
        a["public_id"]
        for a in client.get("/api/v1/soc/alerts?kind=intel", headers=joint).json()["items"]
    ] == [alert["public_id"]]
    # Matching the same events again raises nothing new.
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, env.clock.now()) == 0
    assert len(client.get("/api/v1/soc/alerts?kind=intel", headers=joint).json()["items"]) == 1


def test_a_hit_in_exercise_data_is_an_exercise_alert(
    client: TestClient, env: Runtime, tokens: object
) -> None:
    # A cyber exercise replays attack traffic: its alerts must not count as real ones.
    with env.db.session() as session:
        feeds = get_collection(session, SYSTEM, FEEDS)
        ingest(
            session,
            env.settings,
            SYSTEM,
            feeds,
            [indicator(C2)],
            now=env.clock.now(),
            source="test",
        )
    ward_a = bearer(tokens(WARD_A, "ward_it"))  # type: ignore[operator]
    row = {"time": env.clock.now().isoformat(), "class_uid": 4001, "dst_ip": C2}
    sent = client.post(
        "/api/v1/soc/ingest?format=json&origin=exercise", content=orjson.dumps(row), headers=ward_a
    )
    assert sent.status_code == 200, sent.text
    assert store_for(env.data_dir, env.settings.section(SocSettings)).wait_stored(
        sent.json()["position"], 30
    )
    assert hunting.match_new_events(env.db, env.settings, env.data_dir, env.clock.now()) == 1
    (alert,) = client.get("/api/v1/soc/alerts?kind=intel", headers=ward_a).json()["items"]
    assert alert["origin"] == "exercise"
