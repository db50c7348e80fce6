"""The major-incident rule at its thresholds, escalation to executives, and MTTC
arithmetic across the JST day boundary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from rengo.core.acting import Acting
from rengo.core.clock import JST, FakeClock
from rengo.core.runtime import Runtime
from rengo.notify.models import Delivery
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import get_target
from tests.helpers import WARD_A, WARD_B

Api = Callable[..., Any]


def test_people_threshold_and_that_it_is_a_setting(
    env: Runtime, open_incident: Callable[..., dict[str, Any]]
) -> None:
    below = open_incident(people_affected=9_999, category="information_leak")
    assert below["major"] is False and below["severity"] == "high"
    at = open_incident(people_affected=10_000, category="information_leak")
    assert at["major"] is True and at["severity"] == "critical"
    env.settings.policy.major_incident_people = 500
    assert open_incident(people_affected=500)["major"] is True


def test_outage_threshold_exact_and_ongoing(
    api: Api, open_incident: Callable[..., dict[str, Any]], clock: FakeClock, env: Runtime
) -> None:
    start = clock.now() - timedelta(hours=23, minutes=59)
    short = open_incident(
        outage_system="住民基本台帳",
        outage_started_at=start.isoformat(),
        outage_ended_at=clock.now().isoformat(),
    )
    assert short["major"] is False
    exact = open_incident(
        outage_started_at=start.isoformat(),
        outage_ended_at=(start + timedelta(hours=24)).isoformat(),
    )
    assert exact["major"] is True
    ongoing = open_incident(outage_system="介護保険", outage_started_at=start.isoformat())
    assert ongoing["major"] is False
    clock.advance(minutes=1)
    ran = api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()
    assert ran["became_major"] == 1
    flagged = api("GET", f"/api/v1/incidents/{ongoing['id']}").json()
    assert flagged["major"] is True
    assert flagged["major_at"][:19] == (start + timedelta(hours=24)).isoformat()[:19]
    assert "介護保険 停止 24.0 時間(基準 24 時間以上)" in flagged["major_reason"]


def test_major_incident_is_escalated_to_executives_at_once(
    api: Api,
    open_incident: Callable[..., dict[str, Any]],
    make_user: Callable[..., str],
    env: Runtime,
) -> None:
    from rengo.core.identity import User

    names = [
        make_user(WARD_A, "executive"),
        make_user("joint", "executive"),
        make_user(WARD_B, "executive"),
    ]
    with env.db.session() as session:
        for user in session.scalars(select(User).where(User.username.in_(names))):
            user.email = f"{user.username}@example.test"
    incident = open_incident(people_affected=12_000, category="information_leak")
    with env.db.session() as session:
        sent_to = set(
            session.scalars(
                select(Delivery.recipient).where(Delivery.topic == "csirt.major_incident")
            )
        )
    assert sent_to == {f"{names[0]}@example.test", f"{names[1]}@example.test"}  # not ward B's
    timeline = api("GET", f"/api/v1/incidents/{incident['id']}/timeline").json()["items"]
    assert any(e["summary"].startswith("Major incident: 個人情報 12,000 人分") for e in timeline)
    assert any(e["summary"].startswith("Escalated to executives: 2") for e in timeline)


def test_mttc_across_midnight_jst_and_the_ksi(
    api: Api, env: Runtime, clock: FakeClock, open_incident: Callable[..., dict[str, Any]]
) -> None:
    from rengo.core.permissions import SYSTEM
    from rengo.csirt import actions as actions_service

    detected = datetime(2026, 6, 1, 23, 30, tzinfo=JST)
    clock._now = detected + timedelta(minutes=40)  # 00:10 JST the next day = 15:10 UTC
    incident = open_incident(detected_at=detected.isoformat(), category="ransomware")
    request = api(
        "POST",
        f"/api/v1/incidents/{incident['id']}/actions",
        json={"kind": "block_ip", "target": "198.51.100.23"},
    )
    assert request.status_code == 201, request.text
    action = request.json()
    assert action["status"] == "approved"  # no connector: carried out by hand
    confirmed = api(
        "POST",
        f"/api/v1/incidents/{incident['id']}/actions/{action['id']}/confirm",
        ward=WARD_A,
        role="ward_it",
        json={"succeeded": True, "note": "FWで遮断"},
    )
    assert confirmed.status_code == 200, confirmed.text
    body = api("GET", f"/api/v1/incidents/{incident['id']}").json()
    assert body["mttc_minutes"] == 40.0
    assert body["contained_at"].endswith(("Z", "+00:00")) and body["contained_at"].startswith(
        "2026-06-01T15:10"
    )
    second = open_incident(detected_at=(clock.now() - timedelta(hours=2)).isoformat())
    with env.db.session() as session:
        by = Acting(session, SYSTEM, clock.now(), env.settings)
        action2 = actions_service.request_action(
            by,
            second["id"],
            kind="block_domain",
            target="bad.example.com",
            reason="",
            ward=None,
            connector_id=None,
        )
        actions_service.confirm_by_hand(by, action2.id, succeeded=True, note="")
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    result = evaluator.evaluate(get_target("m1.ksi.mean_time_to_contain"), clock.now(), trend=False)
    # (40 min + 120 min) / 2 = 80 min
    assert result.overall.value == pytest.approx(80 / 60, abs=0.001)
    assert result.overall.detail["p90_hours"] == 2.0
    assert result.status.value == "not_met"
    assert result.per_ward[WARD_A].value == pytest.approx(80 / 60, abs=0.001)
    kgi = evaluator.evaluate(get_target("m1.kgi.major_incidents"), clock.now(), trend=False)
    assert kgi.overall.value == 0 and kgi.status.value == "met"
    assert kgi.per_ward[WARD_B].value == 0


def test_a_cross_ward_incident_not_contained_counts_once_in_the_joint_figure(
    env: Runtime, clock: FakeClock, open_incident: Callable[..., dict[str, Any]]
) -> None:
    detected = (clock.now() - timedelta(minutes=30)).isoformat()
    shared = open_incident(ward="joint", wards=[WARD_A, WARD_B], detected_at=detected)
    alone = open_incident(detected_at=detected)
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    result = evaluator.evaluate(get_target("m1.ksi.mean_time_to_contain"), clock.now(), trend=False)
    # Nothing contained yet: no mean, but the open incidents are counted and listed.
    assert result.overall.value is None
    assert result.overall.detail["not_contained"] == 2  # the shared incident once, not twice
    assert result.overall.detail["incidents_not_contained"] == sorted([shared["id"], alone["id"]])
    assert result.per_ward[WARD_A].detail["not_contained"] == 2
    assert result.per_ward[WARD_B].detail["not_contained"] == 1
    assert result.per_ward[WARD_B].detail["incidents_not_contained"] == [shared["id"]]


@pytest.mark.parametrize("minutes_ago", [20, 90, 600])
def test_the_demo_never_writes_a_time_later_than_its_clock(
    env: Runtime, clock: FakeClock, make_user: Callable[..., str], minutes_ago: int
) -> None:
    """An incident detected shortly before the demo's "now" stops where "now" is: it is not
    contained (or closed) in the future, so MTTC and the open count are as they would be."""
    import random

    from rengo.core.demo import DemoContext
    from rengo.core.identity import User
    from rengo.core.permissions import SYSTEM
    from rengo.core.wards import ward_by_code
    from rengo.csirt import endpoints
    from rengo.csirt.demo import SCENARIOS, run_incident
    from rengo.csirt.models import Incident, TimelineEntry

    ward = ward_by_code(WARD_A)
    make_user("joint", "csirt", username="joint.csirt")
    make_user(WARD_A, "ward_it", username=f"{ward.slug}.it")
    with env.db.session() as session:
        endpoints.create_connector(
            session, SYSTEM, tenant=WARD_A, name="FW(模擬)", kind="simulated"
        )
        users = {u.username: u for u in session.scalars(select(User))}
        for user in users.values():
            session.expunge(user)
    now = clock.now()
    ctx = DemoContext(db=env.db, settings=env.settings, data_dir=env.data_dir, now=now)
    for n, scenario in enumerate(SCENARIOS):
        detected = now - timedelta(minutes=minutes_ago)
        run_incident(ctx, random.Random(n), ward, users, detected, scenario, n)
    with env.db.session() as session:
        incidents = list(session.scalars(select(Incident)))
        latest = max(session.scalars(select(TimelineEntry.at)))
    assert len(incidents) == len(SCENARIOS)
    assert latest <= now
    assert all(i.contained_at is None or i.contained_at <= now for i in incidents)
    if minutes_ago == 600:  # ten hours: time enough to contain every one
        assert all(i.contained_at is not None for i in incidents)
