"""Small builders for EBPM tests: a complete logic model over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import bearer

POLICY = {
    "title": "保育所定員拡大事業",
    "department": "子ども家庭部",
    "fiscal_year": 2026,
    "is_new": True,
    "budget_line": "保育所整備費",
    "budget_yen": 120_000_000,
    "template": "childcare",
}


def create_policy(client: TestClient, token: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/ebpm/policies", json={**POLICY, **overrides}, headers=bearer(token)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def step(client: TestClient, token: str, policy_id: int, action: str) -> Any:
    return client.post(
        f"/api/v1/ebpm/policies/{policy_id}/transitions",
        json={"action": action, "comment": f"{action} ok"},
        headers=bearer(token),
    )
