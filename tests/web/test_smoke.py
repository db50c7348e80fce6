"""The app starts, answers health checks and serves its pages and OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_the_database(client: TestClient, db_url: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"] == db_url.split(":")[0].split("+")[0]
    assert report["soc_lake"]["ready"] is True and report["soc_lake"]["lag_bytes"] == 0
    assert client.get("/readyz").status_code == 200


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/assets" in spec["paths"]
    assert "/api/v1/targets" in spec["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger/swagger-ui-bundle.js" in docs.text
