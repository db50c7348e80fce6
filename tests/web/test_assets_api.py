"""The register's JSON API over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.helpers import JOINT, WARD_A, WARD_B, asset_fields, bearer


def test_create_read_update_with_etag_and_history(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    h = bearer(tokens(WARD_A, "ward_it"))
    created = client.post("/api/v1/assets", json=asset_fields(), headers=h)
    assert created.status_code == 201
    asset = created.json()
    assert asset["ward"] == WARD_A and asset["origin"] == "api"
    assert created.headers["location"] == f"/api/v1/assets/{asset['id']}"
    read = client.get(f"/api/v1/assets/{asset['id']}", headers=h)
    assert read.headers["etag"] == '"1"'
    patched = client.patch(
        f"/api/v1/assets/{asset['id']}",
        json={"owner": "情報政策課長"},
        headers={**h, "If-Match": '"1"'},
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/assets/{asset['id']}", json={"owner": "x"}, headers={**h, "If-Match": '"1"'}
    )
    assert stale.status_code == 409
    history = client.get(f"/api/v1/assets/{asset['id']}/history", headers=h).json()
    assert [c["action"] for c in history] == ["update", "create"]
    assert history[0]["changes"] == {"owner": ["戸籍住民課長", "情報政策課長"]}


def test_validation_errors_name_the_field(client: TestClient, tokens: Callable[..., str]) -> None:
    h = bearer(tokens(WARD_A, "ward_it"))
    response = client.post(
        "/api/v1/assets", json=asset_fields(ip_ranges=["10.0.0.999/8"], kind="ufo"), headers=h
    )
    assert response.status_code == 422
    problems = {p["location"]: p["message"] for p in response.json()["problems"]}
    assert "body kind" in problems and "body ip_ranges" in problems
    unknown = client.patch("/api/v1/assets/1", json={"ward": WARD_B}, headers=h)
    assert unknown.status_code == 422


def test_list_filters_and_tenancy(client: TestClient, tokens: Callable[..., str]) -> None:
    client.post(
        "/api/v1/assets", json=asset_fields(name="A1"), headers=bearer(tokens(WARD_A, "ward_it"))
    )
    client.post(
        "/api/v1/assets", json=asset_fields(name="B1"), headers=bearer(tokens(WARD_B, "ward_it"))
    )
    mine = client.get("/api/v1/assets", headers=bearer(tokens(WARD_A, "ward_finance"))).json()
    assert [a["name"] for a in mine["items"]] == ["A1"] and mine["total"] == 1
    joint = client.get(
        "/api/v1/assets", params={"sort": "ward"}, headers=bearer(tokens(JOINT, "soc_analyst"))
    ).json()
    assert [a["name"] for a in joint["items"]] == ["A1", "B1"]
    only_b = client.get(
        "/api/v1/assets", params={"ward": WARD_B}, headers=bearer(tokens(JOINT, "executive"))
    )
    assert [a["name"] for a in only_b.json()["items"]] == ["B1"]
    refused = client.get(
        "/api/v1/assets", params={"ward": WARD_B}, headers=bearer(tokens(WARD_A, "ward_it"))
    )
    assert refused.status_code == 403


def test_csv_export_and_import_over_http(client: TestClient, tokens: Callable[..., str]) -> None:
    h = bearer(tokens(WARD_A, "ward_it"))
    client.post("/api/v1/assets", json=asset_fields(), headers=h)
    export = client.get("/api/v1/assets/export.csv", params={"lang": "ja"}, headers=h)
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.content.startswith(b"\xef\xbb\xbfID,")
    body = export.content.replace(
        "住民基本台帳システム".encode(), "住民基本台帳システム(更新)".encode()
    )
    imported = client.post(
        "/api/v1/assets/import", files={"file": ("a.csv", body, "text/csv")}, headers=h
    )
    assert imported.json() == {"created": 0, "updated": 1}
    bad = client.post(
        "/api/v1/assets/import",
        files={"file": ("b.csv", "名称,種別\nx,船\n".encode(), "text/csv")},
        headers=h,
    )
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        {
            "location": "b.csv:2 field kind",
            "message": "unknown kind '船'; one of system, dataset, device, network, cloud_service",
        },
        {"location": "b.csv:2 field location", "message": "Field required"},
    ]


def test_roles_that_only_read_cannot_write(client: TestClient, tokens: Callable[..., str]) -> None:
    response = client.post(
        "/api/v1/assets", json=asset_fields(), headers=bearer(tokens(WARD_A, "executive"))
    )
    assert response.status_code == 403


def test_reference_data_and_targets(client: TestClient, tokens: Callable[..., str]) -> None:
    wards = client.get("/api/v1/wards").json()
    assert len(wards) == 24 and wards[0]["code"] == "joint"
    assert next(w for w in wards if w["code"] == WARD_A)["population"] == 61269
    h = bearer(tokens(WARD_A, "executive"))
    targets = client.get("/api/v1/targets", headers=h).json()
    by_id = {t["id"]: t for t in targets}
    assert by_id["m1.kgi.major_incidents"]["threshold"] == 0
    assert by_id["register.kpi.assets_classified"]["status"] == "no_data"
    assert client.get("/api/v1/targets/nope", headers=h).status_code == 404
