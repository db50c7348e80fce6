"""The demo's notifications: after the CSIRT's demo (rotas, pages, incidents) the notify
step delivers everything queued — to the built-in outbox, nothing configured — and none
has failed (before, the demo left 90 failed and 10 pending e-mails: SMTP refused)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rengo.core.demo import DemoContext, steps
from rengo.core.runtime import Runtime
from rengo.notify.models import Delivery
from rengo.notify.settings import CsirtSettings

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_the_demo_ends_with_every_notification_delivered_none_failed(env: Runtime) -> None:
    from rengo.csirt import demo as _csirt  # noqa: F401  (registers its steps)
    from rengo.notify import demo as _notify  # noqa: F401

    assert not env.settings.section(CsirtSettings).uses_smtp()
    said: list[str] = []
    ctx = DemoContext(env.db, env.settings, env.data_dir, env.clock.now(), report=said.append)
    by_name = {s.name: s for s in steps()}
    for name in ("accounts", "csirt", "notify"):
        by_name[name].run(ctx)
    with env.db.session() as session:
        states = dict(
            session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        )
    assert states.get("outbox", 0) > 0, states
    assert "failed" not in states and "sending" not in states, states
    with env.db.session() as session:
        due = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.status == "pending", Delivery.next_attempt_at <= env.clock.now())
        )
    assert due == 0
    assert any("in the built-in outbox" in line and "0 failed" in line for line in said)
