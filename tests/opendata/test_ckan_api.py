"""The CKAN Action API, driven by the real ``ckanapi`` client against a real server, and
over HTTP for the envelope, CORS and the anonymous rate limit (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ckanapi
import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from tests.helpers import WARD_A, WARD_B
from tests.opendata.samples import csv_bytes, rows


def test_ckanapi_client_reads_and_writes_unmodified(
    live_server: Any, tokens: Callable[..., str], tmp_path: Any
) -> None:
    officer = tokens(WARD_A, "opendata")
    writer = ckanapi.RemoteCKAN(live_server.url, apikey=officer)
    created = writer.action.package_create(
        name="chiyoda-aed",
        title="AED設置箇所一覧",
        owner_org="chiyoda",
        notes="区内のAED",
        tags=[{"name": "防災"}, {"name": "AED"}],
        groups=[{"name": "disaster"}],
        extras=[{"key": "standard_type", "value": "aed"}, {"key": "frequency", "value": "monthly"}],
        resources=[{"url": "https://example.jp/aed.pdf", "name": "地図", "format": "PDF"}],
    )
    assert created["name"] == "chiyoda-aed" and created["organization"]["id"] == WARD_A
    path = tmp_path / "aed.csv"
    path.write_bytes(csv_bytes(rows(), "cp932"))
    with path.open("rb") as handle:
        resource = writer.action.resource_create(
            package_id="chiyoda-aed", name="AED一覧CSV", upload=handle
        )
    assert resource["datastore_active"] is True and resource["rows"] == 3
    patched = writer.action.package_patch(id="chiyoda-aed", title="AED設置箇所一覧(千代田区)")
    assert patched["version"] == "3"

    public = ckanapi.RemoteCKAN(live_server.url)
    assert public.action.package_list() == ["chiyoda-aed"]
    shown = public.action.package_show(id=created["id"])
    assert shown["title"] == "AED設置箇所一覧(千代田区)" and shown["num_resources"] == 2
    found = public.action.package_search(
        q="ＡＥＤ",
        fq="organization:chiyoda res_format:CSV",
        **{"facet.field": '["groups","res_format"]'},
    )
    assert found["count"] == 1 and found["facets"]["res_format"] == {"PDF": 1, "CSV": 1}
    records = public.action.datastore_search(resource_id=resource["id"], filters={"ID": "00003"})
    assert records["total"] == 1 and records["records"][0]["名称"] == "区立施設3"
    assert public.action.resource_show(id=resource["id"])["format"] == "CSV"
    assert "chiyoda" in public.action.organization_list()
    assert public.action.organization_show(id="chiyoda")["package_count"] == 1
    assert "disaster" in public.action.group_list()
    assert public.action.tag_list() == ["AED", "防災"]
    assert public.action.status_show()["ckan_version"].startswith("2.")
    with pytest.raises(ckanapi.NotFound):
        public.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotAuthorized):
        public.action.package_create(name="x", title="x", owner_org="chiyoda")
    other = ckanapi.RemoteCKAN(live_server.url, apikey=tokens(WARD_B, "opendata"))
    with pytest.raises(ckanapi.NotAuthorized):
        other.action.package_create(name="x1", title="x", owner_org="chiyoda")
    with pytest.raises(ckanapi.NotFound):
        other.action.package_patch(id="chiyoda-aed", title="乗っ取り")
    bad = tmp_path / "bad.csv"
    broken = rows()
    broken[0]["緯度"] = "北緯35度"
    bad.write_bytes(csv_bytes(broken))
    with bad.open("rb") as handle, pytest.raises(ckanapi.ValidationError) as caught:
        writer.action.resource_create(package_id="chiyoda-aed", upload=handle)
    assert "北緯35度" in str(caught.value)
    assert public.action.package_show(id="chiyoda-aed")["num_resources"] == 2


def test_envelope_cors_and_both_prefixes(client: TestClient) -> None:
    for prefix in ("/api/3/action", "/api/action"):
        response = client.get(f"{prefix}/package_list")
        assert response.status_code == 200
        assert response.json()["success"] is True and response.json()["result"] == []
        assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options("/api/3/action/package_search")
    assert preflight.status_code == 204
    missing = client.get("/api/3/action/package_show", params={"id": "nothing"})
    assert missing.status_code == 404
    assert missing.json() == {
        "success": False,
        "error": {"__type": "Not Found Error", "message": "dataset nothing not found"},
    }
    too_many = client.get("/api/3/action/package_search", params={"rows": 1001})
    assert too_many.status_code == 409 and too_many.json()["error"]["__type"] == "Validation Error"
    bad_fq = client.get("/api/3/action/package_search", params={"fq": "password:x"})
    assert bad_fq.status_code == 409


def test_anonymous_clients_are_rate_limited_across_workers(
    env: Runtime, tokens: Callable[..., str]
) -> None:
    """Two web workers (two apps, two runtimes, one database) share one count, and a
    restarted worker still knows it."""
    from rengo.web.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(env.settings.data_dir, env.settings.database_url or "")
    limited = settings.model_copy(update={"opendata": {"anonymous_requests_per_minute": 3}})
    runtimes = [Runtime.from_settings(limited) for _ in range(3)]
    first, second, restarted = (
        TestClient(create_app(r), base_url="http://127.0.0.1") for r in runtimes
    )
    with first, second:
        workers = (first, second, first, second)
        statuses = [w.get("/api/3/action/status_show").status_code for w in workers]
        assert statuses == [200, 200, 200, 429]
        token = tokens(WARD_A, "opendata")
        ok = second.get("/api/3/action/status_show", headers={"Authorization": token})
        assert ok.status_code == 200
    with restarted:
        assert restarted.get("/api/3/action/status_show").status_code == 429
    for runtime in runtimes:
        runtime.close()
