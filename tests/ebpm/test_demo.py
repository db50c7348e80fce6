"""The EBPM demo step: several wards' models (approved and drafts), five years of surveys,
training with gaps — and all three measure-3 targets compute from them; the roster of the
same staff and one round of reminders, delivered to the built-in outbox with nothing
failed and listed on the training page; a second run adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rengo.core.demo import DemoContext
from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.ebpm import reminders
from rengo.ebpm.demo import ebpm_demo
from rengo.ebpm.models import (
    Actual,
    Completion,
    Course,
    Policy,
    Reminder,
    StaffCount,
    StaffMember,
    SurveyResult,
)
from rengo.notify.demo import demo as notify_demo
from rengo.notify.models import Delivery
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target
from tests.helpers import WARD_A

LoginFn = Callable[[TestClient, str, str], str]


def test_demo_makes_every_ebpm_target_compute(env: Runtime, app: Any, login: LoginFn) -> None:
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
    reminded = _assert_roster_and_reminders(env, ctx, app, login)
    ebpm_demo(ctx)
    with env.db.session() as session:
        assert session.scalar(select(func.count(Completion.id))) == completions
        assert session.scalar(select(func.count(Reminder.id))) == reminded


def _assert_roster_and_reminders(env: Runtime, ctx: DemoContext, app: Any, login: LoginFn) -> int:
    """Everyone counted is on the roster, everyone who completed too; everyone with an
    address and no completion of the required course was reminded once, and the notify
    step kept every reminder in the built-in outbox (nothing failed)."""
    with env.db.session() as session:
        staff = session.scalar(select(func.sum(StaffCount.staff)))
        members = {(m.tenant, m.staff_id): m for m in session.scalars(select(StaffMember))}
        basic = session.scalars(select(Course.id).where(Course.code == "DL-BASIC")).one()
        done = set(
            session.execute(
                select(Completion.tenant, Completion.staff_id).where(Completion.course_id == basic)
            ).all()
        )
        reminded = {(r.tenant, r.staff_id): r for r in session.scalars(select(Reminder))}
    assert len(members) == staff and done <= set(members)
    assert all(m.name and " " in m.name for m in members.values())
    addresses = [m.email for m in members.values() if m.email]
    assert all(a.endswith(".example.lg.jp") for a in addresses)
    assert 0 < len(members) - len(addresses) < len(members) * 0.05  # a few without a mailbox
    due = {key for key, m in members.items() if m.email and key not in done}
    assert set(reminded) == due and len(due) > 500  # the people with gaps, each once
    assert {r.tenant for r in reminded.values()} == {tenant for tenant, _staff in done}
    assert {r.trigger for r in reminded.values()} == {"manual"}
    notify_demo(ctx)
    with env.db.session() as session:
        states = dict(
            session.execute(
                select(Delivery.status, func.count())
                .where(Delivery.topic == reminders.TOPIC)
                .group_by(Delivery.status)
            ).all()
        )
    assert states == {"outbox": len(due)}  # all kept in the built-in outbox, none failed
    # the web server only now: its worker would otherwise deliver beside the notify step
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        login(client, WARD_A, "hr")
        page = client.get("/ebpm/training").text
    shown = [r for r in reminded.values() if r.tenant == WARD_A]
    newest = sorted(shown, key=lambda r: r.id, reverse=True)[:100]  # the page lists 100
    assert newest and all(f'<th scope="row">{r.staff_id}</th>' in page for r in newest)
    assert all(r.email in page for r in newest)
    (actor,) = {r.actor for r in shown}  # the ward's HR asked for them (Japanese first)
    assert actor.startswith("chiyoda.hr") and f"{actor}が送信" in page
    return len(reminded)
