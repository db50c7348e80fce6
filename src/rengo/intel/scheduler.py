"""Background work of the hub in the web server: match new events, run hunts, pull feeds.

One thread, waking every ``intel.match_poll_seconds``; feeds are looked at every
``intel.feed_poll_seconds``. The first round waits one interval, so a server that is
only started and stopped (tests, ``rengo serve`` checks) does no work. The same work
runs from the command line (``rengo intel run``) for deployments that prefer cron.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import OperationalError

from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.intel import feeds, hunting
from rengo.intel.settings import IntelSettings

log = logging.getLogger(__name__)


def run_once(
    db: Database, settings: Settings, data_dir: DataDir, clock: Clock, *, pull_feeds: bool = True
) -> dict[str, int]:
    """One round: new events matched, queued hunts run, due feeds pulled."""
    now = clock.now()
    done = {"sightings": hunting.match_new_events(db, settings, data_dir, now)}
    done["hunts"] = len(hunting.run_queued_hunts(db, settings, data_dir, now))
    pulled = 0
    if pull_feeds:
        with db.session() as session:
            due = feeds.due_feeds(session, now)
        for feed_id in due:
            feeds.run_feed(db, settings, feed_id, now)
            pulled += 1
    done["feeds"] = pulled
    return done


class Scheduler:
    def __init__(self, db: Database, settings: Settings, data_dir: DataDir, clock: Clock) -> None:
        self.db, self.settings, self.data_dir, self.clock = db, settings, data_dir, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="intel-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        interval = max(1.0, self.settings.section(IntelSettings).match_poll_seconds)
        last_feeds = time.monotonic()
        while not self._stop.wait(interval):
            due = (
                time.monotonic() - last_feeds
                >= self.settings.section(IntelSettings).feed_poll_seconds
            )
            try:
                run_once(self.db, self.settings, self.data_dir, self.clock, pull_feeds=due)
            except OperationalError:
                log.warning("intel background round skipped: database not ready", exc_info=True)
            except Exception:  # keep the thread alive; the next round retries
                log.exception("intel background round failed")
            if due:
                last_feeds = time.monotonic()
