"""Evaluation plans and estimates over HTTP on both databases: the result is stored with
its assumptions and diagnostics as evidence; data without an estimate is a 422."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.ebpm.helpers import create_policy
from tests.helpers import WARD_A, WARD_B, bearer


def _observations(effect: float) -> list[dict[str, Any]]:
    rows = []
    for u in range(5):
        for year in range(2016, 2026):
            bump = effect if u < 2 and year >= 2021 else 0.0
            noise = ((u * 7 + year * 3) % 5 - 2) * 0.1
            rows.append(
                {
                    "unit": f"w{u}",
                    "period": year,
                    "value": 40 + u + 0.5 * (year - 2016) + bump + noise,
                    "treated": u < 2,
                }
            )
    return rows


def test_plan_run_and_read_back_the_evidence(client: TestClient, tokens: Any) -> None:
    token = tokens(WARD_A, "policy")
    policy = create_policy(client, token, budget_yen=5_000_000_000)  # beyond a 32-bit integer
    assert policy["budget_yen"] == 5_000_000_000
    key = next(i for i in policy["indicators"] if i["key_outcome"])
    plan = client.post(
        f"/api/v1/ebpm/policies/{policy['id']}/evaluations",
        json={
            "design": "did",
            "indicator_id": key["id"],
            "comparison_group": "近隣3区",
            "timing": "2027年度",
        },
        headers=bearer(token),
    )
    assert plan.status_code == 201, plan.text
    run = client.post(
        f"/api/v1/ebpm/evaluations/{plan.json()['id']}/results",
        json={"method": "did", "intervention_period": 2021, "observations": _observations(4.0)},
        headers=bearer(token),
    )
    assert run.status_code == 201, run.text
    result = run.json()
    assert abs(result["estimate"] - 4.0) < 0.3 and result["ci_low"] < 4.0 < result["ci_high"]
    assert result["detail"]["diagnostics"]["inference"].startswith("wild cluster bootstrap-t")
    assert len(result["detail"]["assumptions"]) == len(result["detail"]["assumptions_ja"]) == 3
    listed = client.get(
        f"/api/v1/ebpm/policies/{policy['id']}/evaluations", headers=bearer(token)
    ).json()
    assert listed[0]["indicator_id"] == key["id"] and listed[0]["results"][0]["id"] == result["id"]
    # Another ward neither sees nor runs it.
    other = tokens(WARD_B, "policy")
    assert (
        client.get(
            f"/api/v1/ebpm/evaluations/{plan.json()['id']}", headers=bearer(other)
        ).status_code
        == 404
    )


def test_data_without_an_estimate_is_refused(client: TestClient, tokens: Any) -> None:
    token = tokens(WARD_A, "policy")
    policy = create_policy(client, token)
    plan = client.post(
        f"/api/v1/ebpm/policies/{policy['id']}/evaluations",
        json={"design": "its"},
        headers=bearer(token),
    ).json()
    flat = [{"unit": "w", "period": 2020, "value": 1.0, "treated": True} for _ in range(8)]
    response = client.post(
        f"/api/v1/ebpm/evaluations/{plan['id']}/results",
        json={"method": "its", "intervention_period": 2020, "observations": flat},
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["location"] == "field observations"
