"""The citizens' pages without login, the downloads, and the datasets target."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.opendata import service
from rengo.opendata.targets import _datasets
from rengo.targets.registry import TargetContext
from tests.helpers import WARD_A
from tests.opendata.samples import csv_bytes, rows

OFFICER = Principal(tenant=WARD_A, role=Role.OPENDATA, username="chiyoda.od")


def _publish(env: Runtime) -> str:
    with env.db.session() as session:
        dataset = service.publish(
            session,
            OFFICER,
            service.parse_fields(
                {"title": "AED設置箇所一覧", "title_kana": "えーいーでぃー", "standard_type": "aed"}
            ),
            env.settings,
            env.data_dir,
            uploads=[service.Upload("aed.csv", csv_bytes(rows(), "cp932"))],
        )
        return dataset.name


def test_home_search_and_dataset_page_need_no_login(env: Runtime, client: TestClient) -> None:
    name = _publish(env)
    home = client.get("/opendata")
    assert home.status_code == 200 and "千代田区" in home.text and "江戸川区" in home.text
    found = client.get("/opendata", params={"q": "ＡＥＤ"})
    assert f"/opendata/dataset/{name}" in found.text
    none = client.get("/opendata", params={"q": "保育"})
    assert f"/opendata/dataset/{name}" not in none.text
    page = client.get(f"/opendata/dataset/{name}")
    assert page.status_code == 200
    assert "区立施設3" in page.text  # the preview table
    assert "datastore_search?resource_id=" in page.text and "ckanapi" in page.text
    assert page.text.count("<h1") == 1
    assert client.get("/opendata/dataset/nothing").status_code == 404


def test_downloads_are_normalised_utf8_csv_json_geojson(env: Runtime, client: TestClient) -> None:
    _publish(env)
    listing = client.get("/api/3/action/package_search").json()["result"]["results"][0]
    resource_id = listing["resources"][0]["id"]
    text = client.get(f"/opendata/resource/{resource_id}.csv").content.decode("utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0]["名称"] == "区立施設1" and len(table) == 3
    data = client.get(f"/opendata/resource/{resource_id}.json").json()
    assert data[1]["緯度"] == 35.691
    geo = json.loads(client.get(f"/opendata/resource/{resource_id}.geojson").content)
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [139.75, 35.69]}
    assert client.get(f"/opendata/resource/{resource_id}.xml").status_code == 422


def test_the_datasets_target_counts_published_datasets(env: Runtime) -> None:
    _publish(env)
    with env.db.session() as session:
        now = env.clock.now()
        measured = _datasets(TargetContext(session, env.settings, env.data_dir, now, now))
    assert measured[WARD_A].value == 1 and measured[JOINT].value == 1


def test_an_officer_publishes_through_the_web_form(
    env: Runtime, client: TestClient, login: Any
) -> None:
    csrf = login(client, WARD_A, "opendata")
    assert client.get("/opendata/publish").status_code == 200
    bad = rows()
    bad[0]["全国地方公共団体コード"] = "131017"
    form = {
        "csrf_token": csrf,
        "title": "AED設置箇所一覧",
        "standard_type": "aed",
        "frequency": "monthly",
        "tags": "防災, AED",
    }
    refused = client.post(
        "/opendata/publish",
        data=form,
        files={"file": ("aed.csv", csv_bytes(bad, "cp932"), "text/csv")},
    )
    assert refused.status_code == 422
    assert "aed.csv:2行目 列「全国地方公共団体コード」" in refused.text and "131017" in refused.text
    published = client.post(
        "/opendata/publish",
        data=form,
        files={"file": ("aed.csv", csv_bytes(rows(), "cp932"), "text/csv")},
    )
    assert published.status_code == 303
    page = client.get(published.headers["location"])
    assert page.status_code == 200 and "区立施設2" in page.text
