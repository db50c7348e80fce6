"""The open-data API beyond CKAN: Table Schemas, the validator over HTTP, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import get_args

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.opendata.standards import standard_types
from rengo.web.api.opendata import TypeKey
from tests.helpers import WARD_A, bearer
from tests.opendata.samples import csv_bytes, rows
from tests.opendata.test_pages import _publish


def test_table_schemas_are_served(client: TestClient) -> None:
    TYPE_KEYS = get_args(TypeKey)
    assert set(TYPE_KEYS) == set(standard_types())
    listed = client.get("/api/v1/opendata/types").json()
    assert {t["key"] for t in listed} == set(TYPE_KEYS)
    schema = client.get("/api/v1/opendata/types/shelter").json()
    assert schema["fields"][0]["name"] == "全国地方公共団体コード"
    assert client.get("/api/v1/opendata/types/nothing").status_code == 422


def test_validate_over_http_reports_rows_and_columns(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    bad = rows()
    bad[2]["経度"] = "東経139度"
    files = {"file": ("aed.csv", csv_bytes(bad, "cp932"), "text/csv")}
    data = {"type_key": "aed", "ward": WARD_A}
    anonymous = client.post("/api/v1/opendata/validate", files=files, data=data)
    assert anonymous.status_code == 401
    headers = bearer(tokens(WARD_A, "opendata"))
    report = client.post("/api/v1/opendata/validate", files=files, data=data, headers=headers)
    body = report.json()
    assert body["valid"] is False and body["encoding"] == "Shift_JIS"
    assert body["problems"][0]["location"] == "aed.csv:4行目 列「経度」"
    assert "東経139度" in body["problems"][0]["message"]


def test_history_of_a_dataset(env: Runtime, client: TestClient) -> None:
    name = _publish(env)
    versions = client.get(f"/api/v1/opendata/datasets/{name}/history").json()
    assert [v["version"] for v in versions] == [1] and versions[0]["action"] == "create"
    assert client.get("/api/v1/opendata/datasets/none/history").status_code == 404
