"""Explicit registration: the domains fill messaging's extension points from their own
``notifications`` modules (loaded by ``load_domains``), and a page listener hears every
step of a page in the page's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from rengo.core.clock import FakeClock
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.domains import load_domains
from rengo.notify import hooks, oncall, paging
from tests.helpers import WARD_A


def test_the_domains_register_their_hooks_and_listeners_when_loaded() -> None:
    load_domains()
    assert "finops_alerts" in hooks.registered_hooks()
    assert "csirt.timeline" in hooks._listeners


@pytest.fixture
def heard() -> Iterator[list[hooks.PageEvent]]:
    events: list[hooks.PageEvent] = []

    def listen(session: Session, event: hooks.PageEvent) -> None:
        assert session.is_active  # told inside the page's own transaction
        events.append(event)

    hooks.on_page("test.listener", listen)
    try:
        yield events
    finally:
        hooks._listeners.pop("test.listener")


def test_a_listener_hears_each_step_of_a_page(
    env: Runtime,
    clock: FakeClock,
    make_user: Callable[..., str],
    heard: list[hooks.PageEvent],
) -> None:
    manager = make_user(WARD_A, "ward_it")
    with env.db.session() as session:
        team = oncall.create_team(
            session,
            SYSTEM,
            tenant=WARD_A,
            name="連絡窓口",
            kind="ward_contact",
            manager=manager,
            ack_minutes=10,
            settings=env.settings,
        )
        # Nobody on call: the policy's first step that reaches someone is the manager.
        sent = paging.page_team(
            session, team, subject="test", body="b", settings=env.settings, now=clock.now()
        )
        page_id = sent.page.id
    [paged] = heard
    assert (paged.step, paged.people, paged.label) == ("paged", (manager,), "manager")
    clock.advance(minutes=10)
    with env.db.session() as session:
        assert paging.run_escalations(session, env.settings, clock.now()) == 1
    escalated = heard[-1]
    assert (escalated.step, escalated.people, escalated.page.status) == (
        "escalated",
        (),
        "exhausted",
    )
    with env.db.session() as session:
        page = paging.get_page(session, SYSTEM, page_id)
        paging.acknowledge(session, page, manager, clock.now())
    assert [e.step for e in heard] == ["paged", "escalated", "acknowledged"]
    assert heard[-1].by == manager and heard[-1].page.id == page_id
