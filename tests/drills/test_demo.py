"""The demo step: a completed live exercise (replayed through ingest and detection) and
a completed tabletop, so that both drills targets show values on the scoreboard."""

from __future__ import annotations

from sqlalchemy import select

from rengo.core.demo import DemoContext
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.drills.demo import demo_exercises
from rengo.drills.models import Exercise, Result
from rengo.soc.alerts_models import Alert
from rengo.targets.registry import TargetContext, fiscal_year_start, get_target


def test_demo_leaves_a_live_and_a_tabletop_exercise_on_the_scoreboard(env: Runtime) -> None:
    said: list[str] = []
    ctx = DemoContext(env.db, env.settings, env.data_dir, env.clock.now(), report=said.append)
    demo_exercises(ctx)
    assert "skipped" not in said[0], said
    with env.db.session() as session:
        exercises = {e.kind: e for e in session.scalars(select(Exercise))}
        assert {e.status for e in exercises.values()} == {"completed"}
        live = exercises["live"]
        assert session.scalar(select(Alert.id).where(Alert.exercise_id == live.public_id))
        met = {
            r.expectation_id
            for r in session.scalars(
                select(Result).where(Result.exercise_id == live.id, Result.status == "met")
            )
        }
        assert {"backups-detected", "encryption-detected", "incident-opened"} <= met
        now = env.clock.now()
        ctx_t = TargetContext(session, env.settings, env.data_dir, now, fiscal_year_start(now))
        for target_id in ("m1.kpi.live_exercises", "m1.kpi.tabletop_exercises"):
            compute = get_target(target_id).compute
            assert compute is not None and compute(ctx_t)[JOINT].value == 1.0
    demo_exercises(ctx)  # a second run adds nothing
    with env.db.session() as session:
        assert len(list(session.scalars(select(Exercise)))) == 2
