"""An evaluation takes its data from an approved release of the policy's ward (the
data-linkage zone, ``rengo.ebpm.zone.feeds.released_table``): the estimator runs on it, the
evidence names the release, the zone audits the use; other wards' and unapproved releases
are not there. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient

from rengo.core import audit
from rengo.core.runtime import Runtime
from rengo.ebpm.models import Evaluation
from rengo.ebpm.zone.deposits import Zone
from rengo.ebpm.zone.models import ZoneRelease
from tests.ebpm.helpers import create_policy
from tests.ebpm.zone import factories as _zone_factories  # noqa: F401 - registers release_id
from tests.helpers import WARD_A, WARD_B, bearer
from tests.tenancy import FACTORIES

EFFECT = 5.0


def _panel() -> pa.Table:
    units, years, values, treated = [], [], [], []
    for u in range(8):
        for year in range(2018, 2024):
            on = u < 4
            value = 50 + 2 * u + 0.8 * (year - 2018) + (EFFECT if on and year >= 2021 else 0)
            value += ((u * 7 + year) % 5 - 2) * 0.1  # a little noise, the same in each run
            units.append(f"地区{u}")
            years.append(str(year))
            values.append(f"{value:.2f}")
            treated.append("1" if on else "0")
    return pa.table({"地区": units, "年度": years, "受診率": values, "対象": treated})


def release(env: Runtime, ward: str, status: str = "approved") -> int:
    """An approved release of ``ward`` holding a panel with an effect of known size."""
    made = int(FACTORIES["release_id"](env, ward))
    zone = Zone.of(env)
    with env.db.session() as session:
        base = session.get(ZoneRelease, made)
        assert base is not None
        row = ZoneRelease(
            ward=ward,
            purpose_id=base.purpose_id,
            linkage_id=base.linkage_id,
            title="地区別の受診率",
            rules={},
            report={"k_achieved": 10, "l_achieved": 2},
            rows=48,
            sha256="",
            status=status,
            requested_by="analyst",
            decision_note="",
        )
        session.add(row)
        session.flush()
        zone.seal_table("release", row.id, _panel())
        return int(row.id)


def _plan(client: TestClient, token: str) -> int:
    policy = create_policy(client, token)
    plan = client.post(
        f"/api/v1/ebpm/policies/{policy['id']}/evaluations",
        json={"design": "did", "comparison_group": "未実施地区", "timing": "2024年度"},
        headers=bearer(token),
    )
    assert plan.status_code == 201, plan.text
    return int(plan.json()["id"])


def test_an_evaluation_runs_on_an_approved_release_of_its_ward(
    client: TestClient, tokens: Callable[..., str], env: Runtime
) -> None:
    token = tokens(WARD_A, "policy")
    rid = release(env, WARD_A)
    plan = _plan(client, token)
    body: dict[str, Any] = {
        "method": "did",
        "intervention_period": 2021,
        "release_id": rid,
        "columns": {"unit": "地区", "value": "受診率"},  # 年度 and 対象 are found by header
    }
    ran = client.post(f"/api/v1/ebpm/evaluations/{plan}/results", json=body, headers=bearer(token))
    assert ran.status_code == 201, ran.text
    result = ran.json()
    assert abs(result["estimate"] - EFFECT) < 0.3
    assert result["detail"]["source"] == f"release {rid}"
    assert result["detail"]["release"] == {
        "release_id": rid,
        "title": "地区別の受診率",
        "k": 10,
        "l_diversity": 2,
        "columns": {"unit": "地区", "value": "受診率"},
    }
    assert result["detail"]["observations"] == 48
    with env.db.session() as session:
        [use] = audit.query(
            session, tenants=None, action="ebpm.zone.release.use", object_id=str(rid)
        )
        assert use.detail["evaluation"] == plan

    body["columns"] = {"unit": "地区", "value": "満足度"}
    url = f"/api/v1/ebpm/evaluations/{plan}/results"
    wrong = client.post(url, json=body, headers=bearer(token))
    assert wrong.status_code == 422
    assert [p["location"] for p in wrong.json()["problems"]] == ["field columns.value"]
    both = {**body, "observations": [{"unit": "a", "period": 1, "value": 1.0}] * 4}
    assert (
        client.post(
            f"/api/v1/ebpm/evaluations/{plan}/results", json=both, headers=bearer(token)
        ).status_code
        == 422
    )


def test_other_wards_and_unapproved_releases_are_not_there(
    client: TestClient, tokens: Callable[..., str], env: Runtime
) -> None:
    theirs = release(env, WARD_A)
    pending = release(env, WARD_B, status="pending")
    token = tokens(WARD_B, "policy")
    plan = _plan(client, token)
    for rid in (theirs, pending):
        response = client.post(
            f"/api/v1/ebpm/evaluations/{plan}/results",
            json={"method": "did", "intervention_period": 2021, "release_id": rid},
            headers=bearer(token),
        )
        assert response.status_code == 404, response.text


def test_the_page_offers_the_wards_releases_and_runs_on_one(
    client: TestClient, login: Callable[..., str], env: Runtime, tokens: Callable[..., str]
) -> None:
    rid = release(env, WARD_A)
    release(env, WARD_B)  # another ward's: not offered
    csrf = login(client, WARD_A, "policy")
    plan = _plan(client, tokens(WARD_A, "policy"))
    with env.db.session() as session:
        found = session.get(Evaluation, plan)
        assert found is not None
        policy_id = found.policy_id
    page = client.get(f"/ebpm/policies/{policy_id}").text
    offered = re.findall(r'<option value="(\d+)">[^<]*地区別の受診率', page)
    assert offered == [str(rid)]
    ran = client.post(
        f"/ebpm/evaluations/{plan}/results/release",
        data={
            "csrf_token": csrf,
            "method": "did",
            "intervention_period": "2021",
            "release_id": str(rid),
            "unit": "地区",
            "value": "受診率",
        },
    )
    assert ran.status_code == 303, ran.text
    page = client.get(ran.headers["location"]).text
    assert "地区別の受診率" in page and f"#{rid}" in page
    bad = client.post(
        f"/ebpm/evaluations/{plan}/results/release",
        data={
            "csrf_token": csrf,
            "method": "did",
            "intervention_period": "2021",
            "release_id": str(rid),
            "value": "満足度",
        },
    )
    assert bad.status_code == 422 and "columns.value" in bad.text
