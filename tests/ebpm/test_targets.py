"""Measure 3's three targets computed from records, per ward and joint, over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.ebpm import training
from rengo.ebpm.targets import logic_model_share, policy_outcomes, staff_trained
from rengo.targets.registry import TargetContext
from tests.ebpm.helpers import create_policy, step
from tests.helpers import WARD_A, WARD_B, bearer

AS_OF = datetime(2027, 1, 15, tzinfo=UTC)


def _ctx(env: Runtime, session: Any, start: datetime | None = None) -> TargetContext:
    return TargetContext(session, env.settings, env.data_dir, AS_OF, start or AS_OF)


def _approve(client: TestClient, tokens: Any, ward: str, pid: int) -> None:
    for role, action in (
        ("policy", "submit"),
        ("dept_head", "approve_dept"),
        ("budget", "approve_budget"),
    ):
        assert step(client, tokens(ward, role), pid, action).status_code == 200


def test_ksi_counts_new_policies_with_approved_model_and_plan(
    client: TestClient, tokens: Any, env: Runtime
) -> None:
    a = tokens(WARD_A, "policy")
    done = create_policy(client, a)["id"]
    approved_no_plan = create_policy(client, a)["id"]
    create_policy(client, a)  # a draft
    create_policy(client, a, is_new=False)  # continuing: not counted
    create_policy(client, a, fiscal_year=2025)  # another fiscal year
    b_draft = create_policy(client, tokens(WARD_B, "policy"))["id"]
    for pid in (done, approved_no_plan):
        _approve(client, tokens, WARD_A, pid)
    plan = client.post(
        f"/api/v1/ebpm/policies/{done}/evaluations",
        json={"design": "did", "comparison_group": "近隣区", "timing": "2028年度"},
        headers=bearer(a),
    )
    assert plan.status_code == 201
    with env.db.session() as session:
        values = logic_model_share(_ctx(env, session))
    assert values[WARD_A].value == round(100 / 3, 1)
    assert values[WARD_A].detail["new_policies"] == 3
    assert values[WARD_B].value == 0.0
    assert values[JOINT].value == 25.0
    assert b_draft


def test_kgi_is_mean_improvement_of_key_outcomes_against_baseline(
    client: TestClient, tokens: Any, env: Runtime
) -> None:
    a = tokens(WARD_A, "policy")
    policy = create_policy(client, a)
    key = [i for i in policy["indicators"] if i["key_outcome"]]
    waiting = next(i for i in key if i["name"] == "待機児童率")  # lower is better
    satisfied = next(i for i in key if i["source"] == "survey")
    client.patch(
        f"/api/v1/ebpm/indicators/{waiting['id']}",
        json={"baseline": 4.0, "baseline_date": "2022-04-01"},
        headers=bearer(a),
    )
    client.patch(
        f"/api/v1/ebpm/indicators/{satisfied['id']}",
        json={"baseline": 50.0, "baseline_date": "2022-03-31", "source": "file"},
        headers=bearer(a),
    )
    _approve(client, tokens, WARD_A, policy["id"])
    for ind, value in ((waiting, 3.0), (satisfied, 60.0)):
        r = client.post(
            f"/api/v1/ebpm/indicators/{ind['id']}/actuals",
            json={"period_end": "2026-03-31", "value": value},
            headers=bearer(a),
        )
        assert r.status_code == 201, r.text
    with env.db.session() as session:
        values = policy_outcomes(_ctx(env, session))
    # 待機児童率 4 → 3 is +25 %; satisfaction 50 → 60 is +20 %: mean 22.5
    assert values[WARD_A].value == 22.5
    assert values[JOINT].value == 22.5 and values[JOINT].detail["indicators"] == 2


def test_training_kpi_is_the_required_course_completion_rate(env: Runtime) -> None:
    with env.db.session() as session:
        courses = training.ensure_courses(session)
        training.set_staff_count(session, WARD_A, "総務部", 10, date(2026, 4, 1))
        training.set_staff_count(session, WARD_B, "総務部", 30, date(2026, 4, 1))
        from rengo.ebpm.models import Completion

        for i in range(8):
            session.add(
                Completion(
                    tenant=WARD_A,
                    staff_id=f"a{i}",
                    course_id=courses["DL-BASIC"].id,
                    completed_on=date(2026, 5, 1),
                )
            )
        session.add(
            Completion(
                tenant=WARD_B,
                staff_id="b1",
                course_id=courses["DL-STAT"].id,
                completed_on=date(2026, 5, 1),
            )
        )
        session.flush()
        values = staff_trained(_ctx(env, session))
    assert values[WARD_A].value == 80.0
    assert values[WARD_B].value == 0.0  # an advanced course is not the required one
    assert values[JOINT].value == 20.0


def test_targets_show_on_the_scoreboard_api(client: TestClient, tokens: Any, env: Runtime) -> None:
    with env.db.session() as session:
        training.set_staff_count(session, WARD_A, "総務部", 4, date(2026, 4, 1))
    response = client.get(
        "/api/v1/targets/m3.kpi.staff_trained", headers=bearer(tokens(WARD_A, "executive"))
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["value"], body["status"]) == (0.0, "not_met")
    assert body["per_ward"][WARD_A]["detail"] == {"staff": 4, "completed": 0, "course": "DL-BASIC"}
