"""The CSIRT's clockwork: carry out queued containment actions, escalate unanswered pages,
flag outages that have become major, run the notifier hooks of other domains, send due
notifications. The web server runs ``Worker`` in a thread (and wakes it when a request
queues work); ``rengo csirt worker`` runs the same loop on its own; tests call ``tick``.

**Hooks.** Another domain's notifications reach people through this worker without the
CSIRT importing that domain: each domain registers its ``Hook`` with
``rengo.notify.hooks.register_hook`` from its own ``notifications.py`` (loaded by
``rengo.domains.load_domains``; e.g. ``rengo.finops.notifications``: FinOps alerts to each
ward's finance contact team).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.csirt import action_runner, incidents
from rengo.notify import outbox, paging
from rengo.notify.hooks import Hook, registered_hooks

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TickReport:
    escalated: int
    became_major: int
    sent: int
    retrying: int
    failed: int
    actions_succeeded: int = 0
    actions_retrying: int = 0
    actions_failed: int = 0
    hooked: int = 0
    kept: int = 0
    """E-mail kept in the built-in outbox (SMTP not configured)."""


def _run_hooks(db: Database, settings: Settings, now: datetime, hooks: dict[str, Hook]) -> int:
    handled = 0
    for name, hook in hooks.items():
        try:
            with db.session() as session:
                handled += hook(session, settings, now)
        except Exception:  # one domain's notifier must not stop the CSIRT's clockwork
            log.exception("worker hook %s failed", name)
    return handled


def tick(
    db: Database, settings: Settings, clock: Clock, hooks: dict[str, Hook] | None = None
) -> TickReport:
    """One round; ``hooks`` default to the registered ones."""
    ran = action_runner.run_due(db, settings, clock)
    now = clock.now()
    with db.session() as session:
        escalated = paging.run_escalations(session, settings, now)
        became_major = incidents.check_ongoing_outages(session, settings, now)
    hooked = _run_hooks(db, settings, now, registered_hooks() if hooks is None else hooks)
    report = outbox.deliver_due(db, settings, clock)
    return TickReport(
        escalated,
        became_major,
        report.sent,
        report.retrying,
        report.failed,
        ran.succeeded,
        ran.retrying,
        ran.failed,
        hooked,
        report.kept,
    )


class Worker:
    """Calls ``tick`` every ``interval`` seconds in a daemon thread until stopped;
    ``wake()`` runs the next round at once (a request queued an action or a page)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        interval: float,
        hooks: Sequence[tuple[str, Hook]] | None = None,
    ) -> None:
        self.db, self.settings, self.clock, self.interval = db, settings, clock, interval
        self.hooks = dict(hooks) if hooks is not None else None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rengo-csirt-worker", daemon=True)

    def start(self) -> Worker:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)

    def _pause(self) -> float:
        """Until the next round: the interval, or sooner when an action retry is due."""
        try:
            due = action_runner.next_due(self.db)
        except Exception:
            log.exception("csirt worker could not read the action queue")
            return self.interval
        if due is None:
            return self.interval
        return min(self.interval, max(0.0, (due - self.clock.now()).total_seconds()))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._pause())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                tick(self.db, self.settings, self.clock, self.hooks)
            except Exception:  # keep the clockwork going; the next tick retries
                log.exception("csirt worker tick failed")
