"""The FinOps pages over HTTP as a logged-in user: every page renders for the joint centre
and for a ward, a ward sees only itself, forms change state, bad input is a clear error."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.runtime import Runtime
from rengo.finops.models import AllocationRule, BprCase, Budget, Recommendation, SharedPool
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target
from tests.finops.test_api import _load
from tests.helpers import JOINT, WARD_A, WARD_B

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""Read-only pages on SQLite; pages that change state also on PostgreSQL (``db_url``)."""
PAGES = (
    "/finops/explorer",
    "/finops/explorer?group_by=service&granularity=day&start=2025-09-01&end=2025-09-30",
    "/finops/explorer?group_by=tag:env&metric=billed",
    "/finops/rows?start=2025-09-01&end=2025-09-30",
    "/finops/kgi",
    "/finops/forecasts",
    "/finops/anomalies?status=all",
    "/finops/recommendations",
    "/finops/bpr",
    "/finops/saas",
    "/finops/trainings",
    "/finops/budget",
)


@SQLITE
def test_every_page_renders_for_the_joint_centre_and_a_ward(
    env: Runtime,
    client: TestClient,
    login: Callable[..., str],
    new_client: Callable[[], TestClient],
    tmp_path: Path,
) -> None:
    _load(env, tmp_path)
    login(client, JOINT, "admin")
    for path in (*PAGES, "/finops/rules"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert page.text.count("<h1") == 1, path
    joint = client.get("/finops/explorer?start=2025-07-01&end=2025-09-30").text
    assert "千代田区" in joint and "中央区" in joint and "未配賦</a></th>" in joint
    ward = new_client()
    login(ward, WARD_A, "ward_finance")
    for path in PAGES:
        page = ward.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    mine = ward.get(
        "/finops/explorer?start=2025-07-01&end=2025-09-30&group_by=business_system"
    ).text
    assert "中央区" not in mine
    assert ward.get(f"/finops/explorer?ward={WARD_B}").status_code == 403
    assert ward.get("/finops/rules").status_code == 403
    english = ward.get("/finops/explorer?lang=en").text
    assert "Cost explorer" in english and "<svg" in english


@SQLITE
def test_explorer_shows_the_unallocated_to_the_joint_centre_and_drills_down(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    login(client, JOINT, "admin")
    page = client.get("/finops/explorer?start=2025-07-01&end=2025-09-30&group_by=ward").text
    assert "未配賦</a></th>" in page and 'role="img"' in page and "<caption>" in page
    link = re.search(r'href="(/finops/rows\?[^"]*ward=unallocated[^"]*)"', page)
    assert link, "no drill-down link for the unallocated cell"
    rows = client.get(link.group(1).replace("&amp;", "&")).text
    assert "aws:joint:untagged-nat" in rows
    csv_link = re.search(r'href="(/api/v1/finops/costs\.csv\?[^"]*)"', page)
    assert csv_link
    csv_text = client.get(csv_link.group(1).replace("&amp;", "&")).text
    assert (
        csv_text.lstrip("\ufeff").startswith("period,ward,cost_JPY") and "unallocated" in csv_text
    )


def test_budgets_baselines_and_bpr_cases_are_entered_through_forms(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    csrf = login(client, WARD_A, "ward_finance")
    saved = client.post(
        "/finops/budgets",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2025",
            "amount": "12000000",
            "business_system": "",
        },
    )
    assert saved.status_code == 303
    client.post(
        "/finops/baselines",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2024",
            "amount": "9000000",
            "business_system": "koseki",
            "source": "予算書",
        },
    )
    kgi = client.get("/finops/kgi").text
    assert "9,000,000" in kgi and ("上限内" in kgi or "上限超過" in kgi)
    # With no budget import, the KGI target falls back to the baseline typed in here.
    result = TargetEvaluator(env.db, env.settings, env.data_dir).evaluate(
        get_target("m2.kgi.operating_cost_growth"),
        datetime(2025, 9, 30, 12, tzinfo=UTC),
        trend=False,
    )
    mine = result.per_ward[WARD_A]
    assert mine.detail["before_from"] == "baseline" and mine.detail["before"] == 9_000_000
    assert mine.value == round(100 * (mine.detail["after"] - 9_000_000) / 9_000_000, 1)
    bad = client.post(
        "/finops/budgets", data={"csrf_token": csrf, "fiscal_year": "x", "amount": "-"}
    )
    assert bad.status_code == 422 and "fiscal_year" in bad.text
    other = client.post(
        "/finops/budgets",
        data={"csrf_token": csrf, "ward": WARD_B, "fiscal_year": "2025", "amount": "1"},
    )
    assert other.status_code == 403
    form = {
        "csrf_token": csrf,
        "process_name": "転入届の書かない窓口",
        "method": "kakanai_madoguchi",
        "business_system": "jumin_kihon_daicho",
        "hours_before": "1200",
        "hours_after": "300",
        "implemented_on": "2025-04-01",
        "description": "",
        "shared": "on",
    }
    assert client.post("/finops/bpr/new", data=form).status_code == 303
    invalid = client.post("/finops/bpr/new", data={**form, "hours_before": "-5"})
    assert invalid.status_code == 422 and 'aria-invalid="true"' in invalid.text
    with env.db.session() as session:
        case = session.scalars(select(BprCase)).one()
        budget = session.scalars(select(Budget)).one()
    assert (case.ward, case.shared, budget.amount) == (WARD_A, True, 12_000_000)
    edited = client.post(f"/finops/bpr/{case.id}", data={**form, "hours_after": "250"})
    assert edited.status_code == 303
    with env.db.session() as session:
        assert session.get(BprCase, case.id).hours_after == 250  # type: ignore[union-attr]


def test_the_joint_centre_keeps_rules_and_pools(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    csrf = login(client, JOINT, "admin")
    assert (
        client.post(
            "/finops/pools", data={"csrf_token": csrf, "name": "nat", "method": "population"}
        ).status_code
        == 303
    )
    twice = client.post("/finops/pools", data={"csrf_token": csrf, "name": "nat", "method": "even"})
    assert twice.status_code == 409
    rule = {
        "csrf_token": csrf,
        "priority": "1",
        "field": "resource_id",
        "pattern": "aws:joint:untagged-*",
        "shared_pool": "nat",
    }
    assert client.post("/finops/rules", data=rule).status_code == 303
    assert client.post("/finops/rules/rebuild", data={"csrf_token": csrf}).status_code == 303
    # The NAT gateway is no longer unallocated: each ward carries its population share.
    period = "start=2025-09-01&end=2025-09-30"
    assert "untagged-nat" not in client.get(f"/finops/rows?{period}&ward=unallocated").text
    assert "untagged-nat" in client.get(f"/finops/rows?{period}&ward={WARD_A}").text
    with env.db.session() as session:
        pool = session.scalars(select(SharedPool).where(SharedPool.name == "nat")).one()
        rule_id = session.scalars(
            select(AllocationRule.id).where(AllocationRule.shared_pool == "nat")
        ).one()
    assert (
        client.post(f"/finops/pools/{pool.id}/delete", data={"csrf_token": csrf}).status_code == 409
    )
    assert (
        client.post(f"/finops/rules/{rule_id}/delete", data={"csrf_token": csrf}).status_code == 303
    )
    assert (
        client.post(f"/finops/pools/{pool.id}/delete", data={"csrf_token": csrf}).status_code == 303
    )


@SQLITE
def test_a_recommendation_moves_through_its_life_cycle_on_its_page(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    with env.db.session() as session:
        rec_id = session.scalars(
            select(Recommendation.id).where(Recommendation.ward == WARD_A)
        ).first()
        other = session.scalars(
            select(Recommendation.id).where(Recommendation.ward == WARD_B)
        ).first()
    csrf = login(client, WARD_A, "ward_it")
    assert client.get(f"/finops/recommendations/{other}").status_code == 404
    for status in ("accepted", "done"):
        moved = client.post(
            f"/finops/recommendations/{rec_id}/status",
            data={"csrf_token": csrf, "status": status, "done_on": "2025-09-20", "note": status},
        )
        assert moved.status_code == 303
    page = client.get(f"/finops/recommendations/{rec_id}").text
    assert "実施済み" in page and "2025-09-20" in page and page.count("<td>") >= 10
    assert (
        client.post(
            f"/finops/recommendations/{rec_id}/status", data={"csrf_token": csrf, "status": "open"}
        ).status_code
        == 422
    )
