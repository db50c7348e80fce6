"""A critical incident pages the joint CSIRT; each step of the page (paged, escalated,
unanswered) is written into the incident's timeline by the CSIRT's page listener
(``rengo.csirt.notifications``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from tests.notify.fixtures import joint_people, joint_team, sent_subjects

Api = Callable[..., Any]


def test_escalation_on_a_fake_clock(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    open_incident: Callable[..., dict[str, Any]],
) -> None:
    first, second, manager = joint_people(env, make_user, 3)
    team = joint_team(api, clock, [first, second], manager)
    assert api("GET", f"/api/v1/oncall/teams/{team['id']}", ward="joint").json()["on_call"] == first
    incident = open_incident(category="ransomware", people_affected=10)  # critical → pages
    [page] = api("GET", "/api/v1/oncall/pages", ward="joint").json()
    assert page["target"] == first and page["level"] == 0 and page["incident_id"] == incident["id"]
    assert [r for r, _ in sent_subjects(env)] == [f"{first}@csirt.example.test"]
    clock.advance(minutes=14, seconds=59)
    assert api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()["escalated"] == 0
    clock.advance(seconds=1)
    assert api("POST", "/api/v1/oncall/run", ward="joint", role="admin").json()["escalated"] == 1
    page = api("GET", "/api/v1/oncall/pages", ward="joint").json()[0]
    assert page["target"] == second and page["level"] == 1
    clock.advance(minutes=15)
    api("POST", "/api/v1/oncall/run", ward="joint", role="admin")
    page = api("GET", "/api/v1/oncall/pages", ward="joint").json()[0]
    assert page["target"] == manager and page["level"] == 2
    clock.advance(minutes=15)
    api("POST", "/api/v1/oncall/run", ward="joint", role="admin")
    assert api("GET", "/api/v1/oncall/pages", ward="joint").json()[0]["status"] == "exhausted"
    assert [r for r, _ in sent_subjects(env)] == [
        f"{n}@csirt.example.test" for n in (first, second, manager)
    ]
    messages = [
        e["summary"]
        for e in api("GET", f"/api/v1/incidents/{incident['id']}/timeline?kind=message").json()[
            "items"
        ]
    ]
    assert messages[0].startswith(f"Paged 共同CSIRT: {first}") and messages[-1].endswith(
        "unanswered"
    )
