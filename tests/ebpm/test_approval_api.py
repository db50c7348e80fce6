"""The approval flow and who sees what, over HTTP on both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.audit import AuditEvent
from rengo.core.runtime import Runtime
from tests.ebpm.helpers import create_policy, step
from tests.helpers import WARD_A, WARD_B, bearer


def test_policy_from_template_has_a_full_logic_model(client: TestClient, tokens: Any) -> None:
    policy = create_policy(client, tokens(WARD_A, "policy"))
    assert policy["ward"] == WARD_A and policy["status"] == "draft"
    stages = {e["stage"] for e in policy["elements"]}
    assert stages == {"inputs", "activities", "outputs", "short_term", "mid_term", "impact"}
    keyed = [i for i in policy["indicators"] if i["key_outcome"]]
    assert {i["name"] for i in keyed} == {"待機児童率", "子育て環境に満足している区民の割合"}
    assert policy["purpose"].startswith("安心して")


def test_drafter_dept_head_budget_office_each_step_audited(
    client: TestClient, tokens: Any, env: Runtime
) -> None:
    policy = create_policy(client, tokens(WARD_A, "policy"))
    pid = policy["id"]
    # Nobody approves before submission; the drafter cannot approve her own model.
    assert step(client, tokens(WARD_A, "dept_head"), pid, "approve_dept").status_code == 409
    assert step(client, tokens(WARD_A, "policy"), pid, "approve_dept").status_code == 403
    assert step(client, tokens(WARD_A, "policy"), pid, "submit").json()["status"] == "submitted"
    # Submitted: no more edits.
    edit = client.patch(
        f"/api/v1/ebpm/policies/{pid}",
        json={"title": "x"},
        headers=bearer(tokens(WARD_A, "policy")),
    )
    assert edit.status_code == 409
    assert step(client, tokens(WARD_A, "budget"), pid, "approve_budget").status_code == 409
    assert step(client, tokens(WARD_A, "dept_head"), pid, "approve_dept").status_code == 200
    done = step(client, tokens(WARD_A, "budget"), pid, "approve_budget")
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "approved" and body["approved_at"]
    assert [a["step"] for a in body["approvals"]] == ["submit", "approve_dept", "approve_budget"]
    with env.db.session() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "ebpm_policy", AuditEvent.object_id == str(pid))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "ebpm.policy.create",
        "ebpm.policy.submit",
        "ebpm.policy.approve_dept",
        "ebpm.policy.approve_budget",
    ]
    versions = client.get(
        f"/api/v1/ebpm/policies/{pid}/versions", headers=bearer(tokens(WARD_A, "policy"))
    ).json()
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["snapshot"]["title"] == policy["title"]
    # Revising opens version 2 as a draft; the approved version stays frozen.
    revised = step(client, tokens(WARD_A, "policy"), pid, "revise").json()
    assert (revised["status"], revised["version"]) == ("draft", 2)


def test_return_sends_the_model_back_to_the_drafter(client: TestClient, tokens: Any) -> None:
    pid = create_policy(client, tokens(WARD_A, "policy"))["id"]
    step(client, tokens(WARD_A, "policy"), pid, "submit")
    back = step(client, tokens(WARD_A, "dept_head"), pid, "return_dept")
    assert back.json()["status"] == "draft"
    assert back.json()["approvals"][-1]["comment"] == "return_dept ok"


def test_drafts_invisible_to_other_wards_until_published(client: TestClient, tokens: Any) -> None:
    pid = create_policy(client, tokens(WARD_A, "policy"))["id"]
    other = tokens(WARD_B, "policy")
    assert client.get(f"/api/v1/ebpm/policies/{pid}", headers=bearer(other)).status_code == 404
    listed = client.get("/api/v1/ebpm/policies", headers=bearer(other)).json()
    assert pid not in [p["id"] for p in listed]
    forbidden = client.get("/api/v1/ebpm/policies", params={"ward": WARD_A}, headers=bearer(other))
    assert forbidden.status_code == 403
    for actor, action in (("policy", "submit"), ("dept_head", "approve_dept")):
        assert step(client, tokens(WARD_A, actor), pid, action).status_code == 200
    # The budget office of another ward cannot approve (it does not even see the model).
    assert step(client, tokens(WARD_B, "budget"), pid, "approve_budget").status_code == 404
    assert step(client, tokens(WARD_A, "budget"), pid, "approve_budget").status_code == 200
    seen = client.get(f"/api/v1/ebpm/policies/{pid}", headers=bearer(other))
    assert seen.status_code == 200 and seen.json()["status"] == "approved"
    assert pid in [
        p["id"] for p in client.get("/api/v1/ebpm/policies", headers=bearer(other)).json()
    ]
    # Published is readable, not changeable, by another ward.
    assert step(client, other, pid, "revise").status_code == 403


def test_incomplete_model_cannot_be_submitted(client: TestClient, tokens: Any) -> None:
    token = tokens(WARD_A, "policy")
    pid = create_policy(client, token, template=None)["id"]
    response = step(client, token, pid, "submit")
    assert response.status_code == 422
    locations = {p["location"] for p in response.json()["problems"]}
    assert {"field purpose", "field elements", "field indicators"} <= locations


def test_indicator_links_to_a_live_scoreboard_target(client: TestClient, tokens: Any) -> None:
    token = tokens(WARD_A, "policy")
    policy = create_policy(client, token)
    outcome = next(e for e in policy["elements"] if e["stage"] == "short_term")
    bad = client.post(
        f"/api/v1/ebpm/policies/{policy['id']}/indicators",
        json={
            "name": "x",
            "source": "metric",
            "metric_target": "nope",
            "element_id": outcome["id"],
        },
        headers=bearer(token),
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "field metric_target"
    made = client.post(
        f"/api/v1/ebpm/policies/{policy['id']}/indicators",
        json={
            "name": "データ活用研修の修了率",
            "unit": "%",
            "source": "metric",
            "metric_target": "m3.kpi.staff_trained",
            "element_id": outcome["id"],
        },
        headers=bearer(token),
    )
    assert made.status_code == 201, made.text
    live = client.get(f"/api/v1/ebpm/indicators/{made.json()['id']}/live", headers=bearer(token))
    assert live.status_code == 200
    assert live.json()["metric_target"] == "m3.kpi.staff_trained"


def test_bad_input_names_the_field(client: TestClient, tokens: Any) -> None:
    response = client.post(
        "/api/v1/ebpm/policies",
        json={"title": "", "department": "x", "fiscal_year": 1800},
        headers=bearer(tokens(WARD_A, "policy")),
    )
    assert response.status_code == 422
    text = str(response.json()["problems"])
    assert "title" in text and "fiscal_year" in text
    joint = client.post(
        "/api/v1/ebpm/policies",
        json={"title": "t", "department": "d", "fiscal_year": 2026},
        headers=bearer(tokens("joint", "policy")),
    )
    assert joint.status_code == 422 and joint.json()["problems"][0]["location"] == "field ward"
