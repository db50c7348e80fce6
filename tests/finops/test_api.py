"""The FinOps API over HTTP: costs per ward (tenancy), CSV, rows, recommendation life cycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.finops import scan, service
from rengo.finops.allocation import Rule
from rengo.finops.settings import FinopsSettings
from rengo.finops.synthetic import generate
from tests.helpers import JOINT, WARD_A, WARD_B, bearer


def _load(env: Runtime, tmp_path: Path) -> None:
    tables, _plan = generate(
        end=date(2025, 9, 30),
        months=3,
        ward_codes=[WARD_A, WARD_B],
        systems=["jumin_kihon_daicho", "koseki"],
    )
    by_month: dict[str, list[pa.Table]] = {}
    for _provider, month, table in tables:
        by_month.setdefault(month, []).append(table)
    files = []
    for month, parts in by_month.items():  # one export per month, every provider in it
        path = tmp_path / f"focus-{month}.parquet"
        pq.write_table(pa.concat_tables(parts), path)
        files.append(path)
    with env.db.session() as session:
        service.add_rule(
            session, SYSTEM, Rule(0, 10, "tag", "*", tag_key="ward", ward_from_value=True)
        )
        service.add_rule(
            session, SYSTEM, Rule(0, 10, "tag", "*", tag_key="system", system_from_value=True)
        )
        service.ingest(session, SYSTEM, env.data_dir, env.settings, files)
        scan.run(
            session,
            service.explorer(session, env.data_dir),
            date(2025, 9, 30),
            env.settings.section(FinopsSettings),
        )


def test_costs_are_narrowed_to_the_callers_ward(
    env: Runtime, client: TestClient, tokens: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    params = {
        "group_by": "ward",
        "granularity": "total",
        "start": "2025-07-01",
        "end": "2025-09-30",
    }
    joint = client.get(
        "/api/v1/finops/costs", params=params, headers=bearer(tokens(JOINT, "admin"))
    ).json()
    wards = {p["groups"]["ward"] for p in joint["points"]}
    assert {WARD_A, WARD_B} <= wards
    mine = client.get(
        "/api/v1/finops/costs", params=params, headers=bearer(tokens(WARD_A, "ward_finance"))
    ).json()
    assert {p["groups"]["ward"] for p in mine["points"]} == {WARD_A}
    other = client.get(
        "/api/v1/finops/costs",
        params={**params, "ward": WARD_B},
        headers=bearer(tokens(WARD_A, "ward_finance")),
    )
    assert other.status_code == 403
    csv_text = client.get(
        "/api/v1/finops/costs.csv", params=params, headers=bearer(tokens(WARD_A, "ward_finance"))
    ).text
    assert csv_text.lstrip("\ufeff").startswith("period,ward,cost_JPY")
    bad = client.get(
        "/api/v1/finops/costs",
        params={"group_by": "colour"},
        headers=bearer(tokens(JOINT, "admin")),
    )
    assert bad.status_code == 422 and bad.json()["problems"]


def test_a_day_outside_any_billing_era_is_refused_not_computed_with(
    client: TestClient, tokens: Callable[..., str]
) -> None:
    # A year before 0001-01-01 once crashed the default start date computation (a 500).
    for path in ("/api/v1/finops/rows", "/api/v1/finops/costs"):
        for params in ({"end": "0001-01-01"}, {"start": "9999-12-31"}):
            answer = client.get(path, params=params, headers=bearer(tokens(JOINT, "admin")))
            assert answer.status_code == 422, (path, params, answer.text)
            field = next(iter(params))
            assert any(field in p["location"] for p in answer.json()["problems"])


def test_recommendation_life_cycle(
    env: Runtime, client: TestClient, tokens: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    joint = bearer(tokens(JOINT, "admin"))
    recs = client.get("/api/v1/finops/recommendations", headers=joint).json()
    assert recs and all(r["estimated_monthly_saving"] > 0 for r in recs)
    rec = next(r for r in recs if r["ward"] == WARD_A)
    owner = bearer(tokens(WARD_A, "ward_finance"))
    stranger = bearer(tokens(WARD_B, "ward_finance"))
    url = f"/api/v1/finops/recommendations/{rec['id']}/status"
    assert client.post(url, json={"status": "accepted"}, headers=stranger).status_code == 404
    assert (
        client.post(url, json={"status": "accepted"}, headers=owner).json()["status"] == "accepted"
    )
    done = client.post(url, json={"status": "done", "done_on": "2025-09-20"}, headers=owner).json()
    assert done["status"] == "done" and done["done_on"] == "2025-09-20"
    assert client.post(url, json={"status": "open"}, headers=owner).status_code == 422
    rows = client.get(
        "/api/v1/finops/rows",
        params={"limit": 5, "start": "2025-07-01", "end": "2025-09-30"},
        headers=owner,
    ).json()
    assert rows["total"] > 0 and all(i["ward"] == WARD_A for i in rows["items"])
    assert client.get("/api/v1/finops/anomalies", headers=owner).status_code == 200


def test_the_joint_centre_keeps_rules_and_pools_over_the_api(
    env: Runtime, client: TestClient, tokens: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    joint = bearer(tokens(JOINT, "admin"))
    ward = bearer(tokens(WARD_A, "ward_finance"))
    pool = client.post(
        "/api/v1/finops/pools", json={"name": "nat", "method": "even", "wards": []}, headers=joint
    )
    assert pool.status_code == 201, pool.text
    assert (
        client.post(
            "/api/v1/finops/pools", json={"name": "nat", "method": "even"}, headers=joint
        ).status_code
        == 409
    )
    rule = {
        "priority": 1,
        "field": "resource_id",
        "pattern": "aws:joint:untagged-*",
        "shared_pool": "nat",
    }
    created = client.post("/api/v1/finops/rules", json=rule, headers=joint)
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/finops/rules", json=rule, headers=ward).status_code == 403
    assert client.get("/api/v1/finops/rules", headers=ward).status_code == 403
    bad = client.post("/api/v1/finops/rules", json={**rule, "shared_pool": "nope"}, headers=joint)
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "shared_pool"
    listed = client.get("/api/v1/finops/rules", headers=joint).json()
    assert listed[0]["pattern"] == rule["pattern"]  # by priority
    assert client.post("/api/v1/finops/rebuild", headers=joint).json()["files"] > 0
    params = {
        "group_by": "ward",
        "granularity": "total",
        "start": "2025-07-01",
        "end": "2025-09-30",
    }
    by_ward = client.get("/api/v1/finops/costs", params=params, headers=joint).json()["points"]
    shares = [p["cost"] for p in by_ward if p["groups"]["ward"] in (WARD_A, WARD_B)]
    assert len(shares) == 2
    unallocated = client.get(
        "/api/v1/finops/rows",
        params={**params, "ward": "unallocated", "limit": 1000},
        headers=joint,
    ).json()
    assert not any("untagged-nat" in (i["ResourceId"] or "") for i in unallocated["items"])
    assert (
        client.delete(f"/api/v1/finops/pools/{pool.json()['id']}", headers=joint).status_code == 409
    )
    assert (
        client.delete(f"/api/v1/finops/rules/{created.json()['id']}", headers=joint).status_code
        == 204
    )
    assert (
        client.delete(f"/api/v1/finops/pools/{pool.json()['id']}", headers=joint).status_code == 204
    )
