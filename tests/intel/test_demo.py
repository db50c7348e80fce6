"""`rengo demo` leaves the hub with examples, submissions at every stage and a half-applied
advisory."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from rengo.core.demo import DemoContext, steps
from rengo.core.runtime import Runtime
from rengo.domains import load_demo_steps
from rengo.intel.collections import FEEDS
from rengo.intel.models import Advisory, AdvisoryRecipient, IntelObject, Submission


def test_demo_step(env: Runtime, shared_data: Path) -> None:
    ctx = DemoContext(
        db=env.db,
        settings=env.settings,
        data_dir=env.data_dir,
        now=env.clock.now(),
        report=lambda _m: None,
    )
    load_demo_steps()
    chosen = {s.name: s for s in steps()}
    for name in ("accounts", "intel"):
        chosen[name].run(ctx)
    with env.db.session() as session:
        states = dict(
            session.execute(select(Submission.state, func.count()).group_by(Submission.state)).all()
        )
        assert states == {"published": 2, "awaiting_approval": 2, "kept_private": 1, "withdrawn": 1}
        in_feeds = session.scalar(
            select(func.count()).select_from(IntelObject).where(IntelObject.collection_id == FEEDS)
        )
        assert in_feeds and in_feeds >= 1826 + 100
        advisory = session.scalar(select(Advisory).where(Advisory.all_wards.is_(True)))
        assert advisory is not None
        applied = session.scalar(
            select(func.count())
            .select_from(AdvisoryRecipient)
            .where(
                AdvisoryRecipient.advisory_id == advisory.id,
                AdvisoryRecipient.applied_at.is_not(None),
            )
        )
        assert applied == 15
    chosen["intel"].run(ctx)  # a second run adds nothing
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 6
