"""The CSIRT's clockwork: send due notifications, escalate unanswered pages, flag outages
that have become major. The web server runs ``Worker`` in a thread; ``rengo csirt
worker`` runs the same loop on its own; tests call ``tick`` with a fake clock.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.csirt import incidents, notify, oncall

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TickReport:
    escalated: int
    became_major: int
    sent: int
    retrying: int
    failed: int


def tick(db: Database, settings: Settings, clock: Clock) -> TickReport:
    now = clock.now()
    with db.session() as session:
        escalated = oncall.run_escalations(session, settings, now)
        became_major = incidents.check_ongoing_outages(session, settings, now)
    report = notify.deliver_due(db, settings, clock)
    return TickReport(escalated, became_major, report.sent, report.retrying, report.failed)


class Worker:
    """Calls ``tick`` every ``interval`` seconds in a daemon thread until stopped."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, interval: float) -> None:
        self.db, self.settings, self.clock, self.interval = db, settings, clock, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rengo-csirt-worker", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                tick(self.db, self.settings, self.clock)
            except Exception:  # keep the clockwork going; the next tick retries
                log.exception("csirt worker tick failed")
