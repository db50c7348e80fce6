"""The server's part in live exercises that no request drives: starting those planned
to start by themselves (``--start-at``, the web form), and taking up those whose runner
stopped — the server (or the ``rengo drills run`` process) restarted.

A runner writes ``heartbeat_at`` at every tick. A running or paused live exercise whose
heartbeat is older than ``drills.takeover_seconds`` and that no runner of this process
drives is taken up as the planner chose when planning it (``on_restart``): ``resume`` —
a new runner goes on from the state in the database (``LiveRunner.adopt``: injects sent,
the scenario clock with its pauses, the records delivered so far); ``interrupt`` — it is
marked ``interrupted`` with the reason, its ward tokens revoked, its data kept (purge or
abort it). The claim (heartbeat set to now) is made under the exercise's row lock, so
two servers never both take one up.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.catalog import rule_catalog
from rengo.drills.live import revoke_tokens
from rengo.drills.models import Exercise
from rengo.drills.runners import Runners
from rengo.drills.service import change_status, lock_exercise
from rengo.drills.settings import DrillsSettings

log = logging.getLogger("rengo.drills")
RESTART_REASON = "the runner stopped (server restart) and the planner chose not to resume"


def look(runtime: Runtime, runners: Runners, base_url: str, now: datetime) -> list[str]:
    """Start what is due and take up what was left; return what was done, per exercise."""
    settings = runtime.settings.section(DrillsSettings)
    stale = now - timedelta(seconds=settings.takeover_seconds)
    mine = set(runners.running())
    with runtime.db.session() as session:
        due = list(
            session.scalars(
                select(Exercise.public_id).where(
                    Exercise.kind == "live",
                    Exercise.status == "planned",
                    Exercise.autostart_at.is_not(None),
                    Exercise.autostart_at <= now,
                )
            )
        )
        left = list(
            session.scalars(
                select(Exercise.public_id).where(
                    Exercise.kind == "live",
                    Exercise.status.in_(("running", "paused")),
                    Exercise.heartbeat_at < stale,  # never driven by a runner: not left
                )
            )
        )
    done: list[str] = []
    rules = None
    for public_id in due:
        if public_id in mine:
            continue
        rules = rules or rule_catalog(runtime)
        try:
            runners.start(runtime, SYSTEM, public_id, rules, base_url)
            done.append(f"{public_id}: started")
        except Exception:  # another server started it first; the next look sees it
            log.exception("exercise %s: could not start at its time", public_id)
    for public_id in left:
        if public_id in mine or not _claim(runtime, public_id, stale, now):
            continue
        with runtime.db.session() as session:
            exercise = lock_exercise(session, public_id)
            choice = exercise.on_restart
            if choice == "interrupt":
                change_status(
                    session, SYSTEM, public_id, "interrupt", now, {"reason": RESTART_REASON}
                )
                revoke_tokens(session, exercise, now)
        if choice == "interrupt":
            done.append(f"{public_id}: interrupted")
            continue
        rules = rules or rule_catalog(runtime)
        runners.adopt(runtime, public_id, rules, base_url)
        done.append(f"{public_id}: resumed")
    for line in done:
        log.warning("exercise %s", line)
    return done


def _claim(runtime: Runtime, public_id: str, stale: datetime, now: datetime) -> bool:
    """Set the heartbeat under the row lock if it is still stale (one server wins)."""
    with runtime.db.session() as session:
        exercise = lock_exercise(session, public_id)
        if exercise.heartbeat_at is None or exercise.heartbeat_at >= stale:
            return False
        exercise.heartbeat_at = now
        return True


class Supervisor:
    """A thread of ``rengo serve`` that looks every ``drills.poll_seconds``."""

    def __init__(self, runtime: Runtime, runners: Runners, base_url: str) -> None:
        self.runtime, self.runners, self.base_url = runtime, runners, base_url
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="rengo-drills-supervisor")
        self.thread.daemon = True

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        every = self.runtime.settings.section(DrillsSettings).poll_seconds
        while not self.stop.wait(every):
            try:
                look(self.runtime, self.runners, self.base_url, self.runtime.clock.now())
            except Exception:  # the database is away for a moment: the next look retries
                log.exception("exercises: the supervisor's look failed")

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)
