"""The hub's targets are computed from its own records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target
from tests.helpers import WARD_A, WARD_B, bearer
from tests.intel.test_advisories import ADVISORY
from tests.intel.test_submissions import ACCESS


def test_targets_from_submissions_and_advisories(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    clock = FakeClock(env.clock.now())
    env.clock = clock
    ward = tokens(WARD_A, "ward_it")
    created = client.post("/api/v1/intel/submissions", json=ACCESS, headers=bearer(ward)).json()
    clock.advance(hours=3)
    client.post(
        f"/api/v1/intel/submissions/{created['id']}/approve",
        json={"version": 1},
        headers=bearer(ward),
    )
    joint = tokens(JOINT, "soc_analyst")
    advisory = client.post(
        "/api/v1/intel/advisories",
        json={**ADVISORY, "wards": [WARD_A, WARD_B]},
        headers=bearer(joint),
    ).json()
    client.post(
        f"/api/v1/intel/advisories/{advisory['id']}/respond",
        json={"applied": True},
        headers=bearer(ward),
    )

    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    as_of = clock.now() + timedelta(seconds=1)
    shared = evaluator.evaluate(get_target("m1.kpi.intel_objects_shared"), as_of, trend=False)
    detail = shared.overall.detail
    assert shared.overall.value == sum(detail["by_type"].values()) >= 5
    assert detail["by_tlp"]["amber"] == shared.overall.value
    assert {"indicator", "report", "course-of-action"} <= set(detail["by_type"])
    speed = evaluator.evaluate(get_target("m1.kpi.intel_time_to_publish"), as_of, trend=False)
    assert speed.overall.value == 3.0 and speed.status.value == "met"
    applied = evaluator.evaluate(get_target("m1.kpi.advisory_applied_share"), as_of, trend=False)
    assert applied.overall.value == 50.0 and applied.status.value == "not_met"
    assert applied.per_ward[WARD_A].value == 100.0 and applied.per_ward[WARD_B].value == 0.0


def test_only_what_was_classified_urgent_counts_as_critical_information(
    client: TestClient, env: Runtime, tokens: Callable[..., str]
) -> None:
    clock = FakeClock(env.clock.now())
    env.clock = clock
    ward = tokens(WARD_A, "ward_it")
    urgent_ids = []
    for urgency in ("urgent", "routine", None):
        created = client.post("/api/v1/intel/submissions", json=ACCESS, headers=bearer(ward)).json()
        body = {"version": 1} | ({"urgency": urgency} if urgency else {})
        approved = client.post(
            f"/api/v1/intel/submissions/{created['id']}/approve", json=body, headers=bearer(ward)
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["urgency"] == (urgency or "routine")
        if urgency == "urgent":
            urgent_ids.append(created["id"])
    refused = client.post(
        f"/api/v1/intel/submissions/{created['id']}/approve",
        json={"version": 1, "urgency": "soon"},
        headers=bearer(ward),
    )
    assert refused.status_code == 422
    joint = tokens(JOINT, "soc_analyst")
    advisories = [
        client.post(
            "/api/v1/intel/advisories", json={**ADVISORY, "urgency": u}, headers=bearer(joint)
        ).json()
        for u in ("urgent", "routine")
    ]
    assert [a["urgency"] for a in advisories] == ["urgent", "routine"]

    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    as_of = clock.now() + timedelta(seconds=1)
    critical = evaluator.evaluate(get_target("m1.kpi.critical_intel_shared"), as_of, trend=False)
    # Recomputed from the records: one urgent report and one urgent advisory.
    assert critical.overall.value == 2
    assert critical.overall.detail["report_ids"] == urgent_ids
    assert critical.overall.detail["advisory_ids"] == [advisories[0]["id"]]
    broader = evaluator.evaluate(get_target("m1.kpi.intel_objects_shared"), as_of, trend=False)
    assert broader.overall.value is not None and broader.overall.value > 2
    before = evaluator.evaluate(
        get_target("m1.kpi.critical_intel_shared"), clock.now() - timedelta(days=400), trend=False
    )
    assert before.overall.value == 0
