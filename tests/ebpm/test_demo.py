"""The EBPM demo step: several wards' models (approved and drafts), five years of surveys,
training with gaps — and all three measure-3 targets compute from them; a second run
adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from rengo.core.demo import DemoContext
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.ebpm.demo import ebpm_demo
from rengo.ebpm.models import Actual, Completion, Policy, SurveyResult
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target


def test_demo_makes_every_ebpm_target_compute(env: Runtime) -> None:
    ctx = DemoContext(env.db, env.settings, env.data_dir, datetime.now(UTC), report=print)
    ebpm_demo(ctx)
    now = datetime.now(UTC)  # the services stamp approvals with the real time
    with env.db.session() as session:
        statuses = dict(
            session.execute(select(Policy.status, func.count()).group_by(Policy.status)).all()
        )
        surveys = session.scalar(select(func.count(SurveyResult.id)))
        completions = session.scalar(select(func.count(Completion.id)))
        snapshot = session.scalars(
            select(Actual).where(Actual.source == "metric:m3.kpi.staff_trained")
        ).all()
    assert len(snapshot) == 1 and 50 < snapshot[0].value < 100  # the live indicator, stored
    assert statuses["approved"] >= 12 and statuses["draft"] >= 3 and statuses["submitted"] >= 1
    assert surveys == 6 * 2 * 5
    assert completions and completions > 1000
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    values = {}
    for target_id in ("m3.kgi.policy_outcomes", "m3.ksi.logic_model_share", "m3.kpi.staff_trained"):
        result = evaluator.evaluate(get_target(target_id), now, trend=False)
        assert result.error is None, result.error
        assert result.overall.value is not None, target_id
        values[target_id] = result.overall.value
    assert 5 < values["m3.kgi.policy_outcomes"] < 40
    assert 20 < values["m3.ksi.logic_model_share"] < 80
    assert 50 < values["m3.kpi.staff_trained"] < 100  # realistic gaps
    per_ward = evaluator.evaluate(get_target("m3.kpi.staff_trained"), now, trend=False).per_ward
    assert len(per_ward) == 23 and JOINT not in per_ward
    ebpm_demo(ctx)
    with env.db.session() as session:
        assert session.scalar(select(func.count(Completion.id))) == completions
