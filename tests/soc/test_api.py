"""The SOC API over HTTP: ingest as Vector and Fluent Bit send it, tenancy of search."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from typing import Any

import msgpack
import orjson
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc.pipeline import LakeWriter
from rengo.soc.service import store_for
from rengo.soc.settings import SocSettings
from tests.helpers import WARD_A, WARD_B
from tests.soc import samples


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_stored(env: Runtime, position: int) -> None:
    store = store_for(env.data_dir, env.settings.section(SocSettings))
    assert store.wait_stored(position, timeout=30)


def search(client: TestClient, token: str, **params: Any) -> Any:
    params.setdefault("since", "2026-01-01T00:00:00Z")
    params.setdefault("until", "2027-01-01T00:00:00Z")
    response = client.get("/api/v1/soc/events", params=params, headers=auth(token))
    return response


def test_vector_and_fluentbit_payloads_are_stored(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    token = tokens(WARD_A, "ward_it")
    vector_ndjson = b"\n".join(
        orjson.dumps(
            {
                "message": line.decode(),
                "host": "proxy1",
                "source_type": "file",
                "timestamp": "2026-05-01T00:00:00Z",
            }
        )
        for line in (samples.SQUID, samples.FORTI_VPN)
    )
    response = client.post(
        "/api/v1/soc/ingest",
        content=gzip.compress(vector_ndjson),
        headers={**auth(token), "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"},
    )
    assert response.status_code == 200, response.text
    packer = msgpack.Packer()
    fluent = packer.pack([1777593600, {"log": samples.SYSLOG_5424.decode()}]) + packer.pack(
        [1777593601, {"log": "{oops"}]
    )
    response = client.post(
        "/api/v1/soc/ingest?source=fluentbit",
        content=fluent,
        headers={**auth(token), "Content-Type": "application/msgpack"},
    )
    assert response.status_code == 200, response.text
    wait_stored(env, response.json()["position"])
    found = search(client, token).json()["events"]
    assert sorted(e["format"] for e in found) == ["fortigate", "json", "squid", "syslog"]
    assert all(e["ward"] == WARD_A and e["raw"] for e in found)
    stats = client.get("/api/v1/soc/stats", params={"days": 400}, headers=auth(token)).json()
    assert stats["total_events"] == 4 and list(stats["last_seen"]) == [WARD_A]


def test_search_tenancy_and_filters(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    token_a, token_b = tokens(WARD_A, "ward_it"), tokens(WARD_B, "soc_analyst")
    joint = tokens("joint", "soc_analyst")
    for token, record in ((token_a, samples.FORTI_TRAFFIC), (token_b, samples.FORTI_VPN)):
        response = client.post(
            "/api/v1/soc/ingest?format=fortigate",
            content=record,
            headers={**auth(token), "Content-Type": "text/plain"},
        )
        assert response.status_code == 200, response.text
    wait_stored(env, response.json()["position"])
    assert [e["ward"] for e in search(client, token_a).json()["events"]] == [WARD_A]
    assert [e["ward"] for e in search(client, token_b).json()["events"]] == [WARD_B]
    assert sorted(e["ward"] for e in search(client, joint).json()["events"]) == [WARD_A, WARD_B]
    assert search(client, token_a, ward=WARD_B).status_code == 403
    # A ward token cannot send logs in another ward's name.
    sneaky = client.post(
        f"/api/v1/soc/ingest?ward={WARD_B}", content=samples.SQUID, headers=auth(token_a)
    )
    assert sneaky.status_code == 403
    by_field = search(client, joint, filter=["user_name:bob", "unmapped.tunneltype:ssl-*"]).json()[
        "events"
    ]
    assert [e["ward"] for e in by_field] == [WARD_B]
    by_text = search(client, joint, q="failed logged").json()["events"]
    assert [e["event_code"] for e in by_text] == ["0101039426"]
    bad = search(client, joint, filter=["no_such_field:1"])
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "no_such_field"


def test_paging_with_cursor(client: TestClient, env: Runtime, tokens: Callable[..., str]) -> None:
    token = tokens(WARD_A, "ward_it")
    lines = [
        f"{1777593600 + n}.000 5 10.0.0.{n} TCP_MISS/200 100 GET http://a.example/{n} - "
        "HIER_DIRECT/1.2.3.4 text/html"
        for n in range(7)
    ]
    response = client.post(
        "/api/v1/soc/ingest?format=squid",
        content="\n".join(lines).encode(),
        headers={**auth(token), "Content-Type": "text/plain"},
    )
    wait_stored(env, response.json()["position"])
    seen, cursor = [], None
    for _ in range(4):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = search(client, token, **params).json()
        seen.extend(e["url"] for e in page["events"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"http://a.example/{n}" for n in range(6, -1, -1)]


def test_back_pressure_answers_503(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    store = store_for(env.data_dir, env.settings.section(SocSettings))
    store.stop_writer()
    stuck = LakeWriter(store.spool, store.lake)  # as if another process's writer hung
    assert stuck.acquire()
    store.spool.max_pending_bytes = 2000
    token = tokens(WARD_A, "ward_it")
    statuses = []
    for _ in range(5):
        statuses.append(
            client.post(
                "/api/v1/soc/ingest", content=samples.SQUID * 10, headers=auth(token)
            ).status_code
        )
    assert statuses[0] == 200 and 503 in statuses
    store.spool.max_pending_bytes = 1 << 30
    stuck.release()
    assert store.start_writer()
    assert store.wait_stored(store.spool.end(), timeout=30)  # the backlog is then stored
