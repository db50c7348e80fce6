"""``rengo demo`` step: the notifications the other steps queued are delivered.

Nothing is configured in a demo, so e-mail goes to the built-in outbox (see
``rengo.notify.outbox``): the demo ends with every due notification delivered or kept there,
none failed, and the notification log shows them.
"""

from __future__ import annotations

from sqlalchemy import func, select

from rengo.core.clock import SystemClock
from rengo.core.demo import DemoContext, step
from rengo.notify import outbox
from rengo.notify.models import Delivery


@step("notify", 90, "Notifications: every queued one delivered (the built-in outbox until SMTP)")
def demo(ctx: DemoContext) -> None:
    clock = SystemClock()
    sent = kept = failed = 0
    while True:
        report = outbox.deliver_due(ctx.db, ctx.settings, clock)
        sent, kept, failed = sent + report.sent, kept + report.kept, failed + report.failed
        if not (report.sent or report.kept or report.failed or report.retrying):
            break
        if report.retrying and not (report.sent or report.kept):
            break  # a real channel is failing: its retries wait for the worker
    with ctx.db.session() as session:
        states = dict(
            session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        )
    ctx.report(
        f"{sent} sent, {kept} in the built-in outbox, {failed} failed now; the log holds "
        + ", ".join(f"{n} {status}" for status, n in sorted(states.items()))
    )
