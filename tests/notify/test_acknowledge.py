"""One acknowledgement per page (issue 17): several people or routes answering the same page
in the same second — the link, the on-call page, the API — record it once; an incident's
timeline names which team's page was answered."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from rengo.core import audit
from rengo.core.runtime import Runtime
from rengo.csirt.models import TimelineEntry
from rengo.notify import paging
from rengo.notify.models import OnCallPage, OnCallTeam
from tests.csirt.factories import make_incident
from tests.helpers import WARD_A

ANSWERS = 5


def _paged_incident(env: Runtime) -> tuple[int, int]:
    incident_id = int(make_incident(env, WARD_A))
    with env.db.session() as session:
        team = OnCallTeam(tenant=WARD_A, name="千代田区CSIRT", kind="csirt", ack_minutes=15)
        session.add(team)
        session.flush()
        sent = paging.page_team(
            session,
            team,
            subject="INC",
            body="",
            settings=env.settings,
            now=env.clock.now(),
            incident_id=incident_id,
        )
        return incident_id, sent.page.id


def test_answers_at_once_record_one_acknowledgement(app: Any, env: Runtime) -> None:
    incident_id, page_id = _paged_incident(env)
    everyone_read_it_open = threading.Barrier(ANSWERS)
    errors: list[BaseException] = []

    def answer(n: int) -> None:
        try:
            with env.db.session() as session:
                page = session.get(OnCallPage, page_id)
                assert page is not None and page.status != "acknowledged"
                everyone_read_it_open.wait(timeout=30)
                paging.acknowledge(session, page, f"responder-{n} (link)", env.clock.now())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(ANSWERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with env.db.session() as session:
        rows = session.scalars(
            select(TimelineEntry.summary).where(
                TimelineEntry.incident_id == incident_id,
                TimelineEntry.summary.like("%acknowledged%"),
            )
        ).all()
        page = session.get(OnCallPage, page_id)
        assert page is not None and page.status == "acknowledged"
        assert rows == [f"Page to 千代田区CSIRT acknowledged by {page.acknowledged_by}"]
        acks = audit.query(session, tenants=None, action="csirt.oncall.ack")
        assert [e.object_id for e in acks] == [str(page_id)]
