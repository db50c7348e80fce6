"""Issue 10's low items on the data path, over HTTP: ``_`` and ``%`` are no wildcards in
SOC search, ``/api/v1/soc/rules`` shows no server folder, a TAXII envelope nested 1,000
deep is a 422 (not a RecursionError), a body over the general limit is a 413."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.intel.collections import SHARED
from tests.helpers import JOINT, WARD_A
from tests.intel.helpers import TAXII_ROOT, indicator, taxii_headers
from tests.soc.test_api import auth, search, wait_stored


def test_percent_and_underscore_match_only_themselves(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    token = tokens(WARD_A, "ward_it")
    messages = ["disk 100% full", "disk 1000 full", "user a_b locked", "user axb locked"]
    body = b"\n".join(
        orjson.dumps({"time": "2026-05-01T10:00:00Z", "message": m}) for m in messages
    )
    response = client.post("/api/v1/soc/ingest?format=json", content=body, headers=auth(token))
    assert response.status_code == 200, response.text
    wait_stored(env, response.json()["position"])

    def found(**params: str) -> list[str]:
        response = search(client, token, **params)
        assert response.status_code == 200, response.text
        return sorted(e["message"] for e in response.json()["events"])

    assert found(q="100%") == ["disk 100% full"]
    assert found(q="a_b") == ["user a_b locked"]
    assert found(q="a\\b") == []
    assert found(filter="message:*a_b*") == ["user a_b locked"]
    assert found(filter="message:disk 100%*") == ["disk 100% full"]
    assert found(filter="message:user *") == ["user a_b locked", "user axb locked"]


def test_rules_are_shown_by_pack_never_by_server_folder(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    rules = client.get("/api/v1/soc/rules", headers=auth(tokens(WARD_A, "ward_it"))).json()
    paths = [r["path"] for r in rules["rules"]]
    assert paths and all(p.startswith("rengo/") and p.endswith((".yml", ".yaml")) for p in paths)
    assert not any("site-packages" in p or "/src/" in p for p in paths)


def test_broken_rules_are_named_by_pack_on_the_api_and_the_page(
    client: TestClient, env: Runtime, tokens: Callable[..., str], login: Any, tmp_path: Path
) -> None:
    pack = tmp_path / "server-only-folder" / "wardpack"
    pack.mkdir(parents=True)
    (pack / "broken.yml").write_text("title: broken\ndetection: [not, a, mapping]\n")
    env.settings.detect.rule_folders = [pack]
    response = client.get("/api/v1/soc/rules", headers=auth(tokens(WARD_A, "ward_it")))
    assert response.status_code == 200
    locations = [e["location"] for e in response.json()["errors"]]
    assert locations and all(loc.startswith("wardpack/broken.yml") for loc in locations)
    assert "server-only-folder" not in response.text
    login(client, WARD_A, "ward_it")
    page = client.get("/soc/rules")
    assert page.status_code == 200 and "wardpack/broken.yml" in page.text
    assert "server-only-folder" not in page.text


def test_a_taxii_envelope_nested_1000_deep_is_refused(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    headers = taxii_headers(tokens(JOINT, "soc_analyst"))
    objects = f"{TAXII_ROOT}collections/{SHARED}/objects/"
    deep = b'{"objects": [' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"]}"
    response = client.post(objects, content=deep, headers=headers)
    assert response.status_code == 422, response.text
    assert "nested deeper than 100 levels" in response.text
    fine = client.post(objects, json={"objects": [indicator("192.0.2.9")]}, headers=headers)
    assert fine.status_code == 202


def test_a_body_over_the_general_limit_is_413(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    limit = env.settings.web.max_body_bytes
    headers = auth(tokens(WARD_A, "ward_it"))
    big = bytes(limit + 1)
    response = client.post(
        "/api/v1/assets/import", files={"file": ("a.csv", big, "text/csv")}, headers=headers
    )
    assert response.status_code == 413, response.text
    # Sent in chunks without a Content-Length: cut off as it arrives.
    chunks = (bytes(1 << 20) for _ in range(limit // (1 << 20) + 2))
    response = client.post("/api/v1/soc/ingest", content=chunks, headers=headers)
    assert response.status_code == 413
