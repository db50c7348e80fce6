"""The FinOps demo step on a small scale: it fills every register, and a second run adds
nothing twice (``rengo demo`` is run again on an existing data directory)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from rengo.core.demo import DemoContext
from rengo.core.runtime import Runtime
from rengo.finops import demo  # noqa: F401  (registers the step)
from rengo.finops.demo import demo as finops_demo
from rengo.finops.lake import Lake
from rengo.finops.models import (
    Alert,
    AllocationRule,
    Baseline,
    BprCase,
    Budget,
    BudgetLine,
    JointProcurement,
    Recommendation,
    SaasProduct,
    SharedPool,
    Training,
)
from rengo.finops.settings import FinopsSettings
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TABLES = (
    SharedPool,
    AllocationRule,
    Baseline,
    Budget,
    BudgetLine,
    Alert,
    Recommendation,
    BprCase,
    SaasProduct,
    JointProcurement,
    Training,
)


def _counts(env: Runtime) -> dict[str, int]:
    with env.db.session() as session:
        return {
            t.__tablename__: int(session.scalar(select(func.count()).select_from(t)) or 0)
            for t in TABLES
        }


def test_the_demo_step_runs_twice_and_adds_nothing_twice(env: Runtime) -> None:
    finops = env.settings.section(FinopsSettings).model_copy(
        update={"demo_months": 4, "demo_wards": 3}
    )
    settings = env.settings.model_copy(update={"finops": finops})
    messages: list[str] = []
    ctx = DemoContext(
        db=env.db,
        settings=settings,
        data_dir=env.data_dir,
        now=datetime(2026, 11, 26, 3, tzinfo=UTC),
        report=messages.append,
    )
    finops_demo(ctx)
    first = _counts(env)
    assert all(first[t] > 0 for t in ("finops_shared_pools", "finops_baselines", "finops_budgets"))
    assert first["finops_recommendations"] > 0 and first["finops_bpr_cases"] >= 2
    lake = Lake.of(env.data_dir)
    files = {p: p.stat().st_mtime_ns for p in lake.files()}
    assert any("FOCUS rows" in m for m in messages)
    # The demo generates inputs (budget files, the joint SOC's cloud); the targets compute.
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    for target_id in ("m2.kgi.operating_cost_growth", "m1.kpi.security_cost_per_resident"):
        result = evaluator.evaluate(get_target(target_id), ctx.now, trend=False)
        assert result.error is None and result.overall.value is not None, target_id
        assert len(result.per_ward) == 3 and result.overall.records, target_id
    finops_demo(ctx)
    assert _counts(env) == first
    assert {p: p.stat().st_mtime_ns for p in lake.files()} == files  # nothing re-ingested
