"""Every CSV export neutralises spreadsheet formulas (issue 17, exports; OWASP CSV injection).

The CSV routes are found from the app itself — every OpenAPI operation whose 200 response
offers ``text/csv`` or whose path ends in ``.csv`` — so a new CSV export fails this test
until it registers a planter here. A planter stores a value ``=1+1`` where the export will
show it (an asset's name, an audit entry, a logic-model element, a release cell, a FOCUS
service name) and returns the URL and the caller; the download must show the cell as
``'=1+1`` and never as ``=1+1``.

Open-data resources (``/opendata/resource/{id}.csv``) are published data served as
published, deliberately raw (see ``rengo.opendata.records.as_csv``); they are not API
routes and are not walked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core import audit
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.ebpm.models import Element
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.models import ZoneRelease
from rengo.finops import service as finops_service
from tests.ebpm.factories import policy as make_policy
from tests.ebpm.zone.factories import zone_objects
from tests.finops.test_ingest import _focus_file as focus_file
from tests.helpers import IT_A, JOINT, WARD_A, bearer

PLANTED = "=1+1"
Plant = Callable[[Runtime, Callable[..., str], Path], tuple[str, str]]
PLANTERS: dict[str, Plant] = {}


def planter(path: str) -> Callable[[Plant], Plant]:
    def register(func: Plant) -> Plant:
        PLANTERS[path] = func
        return func

    return register


@planter("/api/v1/assets/export.csv")
def _asset(env: Runtime, tokens: Callable[..., str], tmp: Path) -> tuple[str, str]:
    from rengo.assets import service
    from rengo.assets.schemas import AssetCreate
    from tests.helpers import asset_fields

    with env.db.session() as session:
        service.create_asset(session, IT_A, AssetCreate(**asset_fields(name=PLANTED)), env.settings)
    return "/api/v1/assets/export.csv", tokens(WARD_A, "ward_it")


@planter("/api/v1/audit/export.csv")
def _audit(env: Runtime, tokens: Callable[..., str], tmp: Path) -> tuple[str, str]:
    with env.db.session() as session:
        audit.record(session, IT_A, "asset.update", object_type=PLANTED, object_tenant=WARD_A)
    return "/api/v1/audit/export.csv", tokens(JOINT, "admin")


@planter("/api/v1/ebpm/policies/{policy_id}/export")
def _logic_model(env: Runtime, tokens: Callable[..., str], tmp: Path) -> tuple[str, str]:
    policy_id = int(make_policy(env, WARD_A))
    with env.db.session() as session:
        element = session.scalars(select(Element).filter_by(policy_id=policy_id)).first()
        assert element is not None
        element.text = PLANTED
    return f"/api/v1/ebpm/policies/{policy_id}/export?format=csv", tokens(WARD_A, "policy")


@planter("/api/v1/ebpm/releases/{release_id}/data.csv")
def _release(env: Runtime, tokens: Callable[..., str], tmp: Path) -> tuple[str, str]:
    made = zone_objects(env, WARD_A)
    with env.db.session() as session:
        template = session.get(ZoneRelease, made["release_id"])
        assert template is not None
        release = ZoneRelease(
            ward=WARD_A,
            purpose_id=template.purpose_id,
            linkage_id=made["linkage_id"],
            title="walk",
            rules={},
            report={},
            rows=2,
            sha256="",
            status="approved",
            requested_by="analyst",
            decision_note="",
        )
        session.add(release)
        session.flush()
        table = pa.table({"区分": [PLANTED, "-12.50"], "件数": [3, -1]})
        Zone.of(env).seal_table("release", release.id, table)
        release_id = release.id
    return f"/api/v1/ebpm/releases/{release_id}/data.csv", tokens(WARD_A, "policy")


@planter("/api/v1/finops/costs.csv")
def _costs(env: Runtime, tokens: Callable[..., str], tmp: Path) -> tuple[str, str]:
    path = focus_file(tmp / "focus.csv", [("100", "2025-04-01", WARD_A)])
    path.write_text(path.read_text().replace(",EC2,", f",{PLANTED},"))
    with env.db.session() as session:
        finops_service.ingest(session, SYSTEM, env.data_dir, env.settings, [path])
    query = "start=2025-04-01&end=2025-04-30&group_by=service"
    return f"/api/v1/finops/costs.csv?{query}", tokens(JOINT, "admin")


def _csv_routes(app: Any) -> list[str]:
    found = []
    for path, operations in app.openapi()["paths"].items():
        get = operations.get("get")
        if get is None:
            continue
        content = get.get("responses", {}).get("200", {}).get("content", {})
        if "text/csv" in content or path.endswith(".csv"):
            found.append(path)
    return sorted(found)


def _cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def test_every_csv_export_quotes_a_formula(
    app: Any, client: TestClient, env: Runtime, tokens: Callable[..., str], tmp_path: Path
) -> None:
    routes = _csv_routes(app)
    assert len(routes) >= 5, routes  # the walk finds the exports it knows of
    unknown = [r for r in routes if r not in PLANTERS]
    assert not unknown, f"CSV routes without a planter in this test: {unknown}"
    for route in routes:
        url, token = PLANTERS[route](env, tokens, tmp_path)
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, (route, response.text[:300])
        assert response.headers["content-type"].startswith("text/csv"), route
        cells = _cells(response.content)
        assert "'" + PLANTED in cells, (route, cells[:40])
        assert PLANTED not in cells, route


def test_the_logic_model_page_download_is_quoted_too(
    client: TestClient, env: Runtime, tokens: Callable[..., str], tmp_path: Path
) -> None:
    url, token = _logic_model(env, tokens, tmp_path)
    response = client.get(url.removeprefix("/api/v1"), headers=bearer(token))
    assert response.status_code == 200, response.text[:300]
    cells = _cells(response.content)
    assert "'" + PLANTED in cells and PLANTED not in cells


def test_a_release_keeps_its_numbers_as_numbers(
    client: TestClient, env: Runtime, tokens: Callable[..., str], tmp_path: Path
) -> None:
    url, token = _release(env, tokens, tmp_path)
    rows = list(csv.reader(io.StringIO(client.get(url, headers=bearer(token)).text)))
    assert rows[1:] == [["'=1+1", "3"], ["-12.50", "-1"]]
