"""Is the lake keeping up? The writer's state for ``/healthz`` and ``/readyz``, and a
joint alert when the lake falls behind.

What is read is on disk, so it holds whichever process runs the writer: the spool's end
against the lake's head (bytes waiting), when the oldest waiting batch was received,
when the last commit was made. The writer of this process adds its failures.

The lake is *behind* when records have waited ``soc.writer_stall_seconds`` and no commit
was made for as long (a stuck writer, a writer that is not running, or a lake that
cannot keep up), or when the spool is nine tenths full (ingest about to push back). A
writer failing three times in a row is reported as well. ``LagMonitor`` raises one
alert in the joint centre's queue per episode, through the same queue as detections.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rengo.core.runtime import Runtime
from rengo.core.settings import DetectSettings, SocSettings
from rengo.core.wards import JOINT
from rengo.soc.alerts import ingest_detections
from rengo.soc.detect.detector import Detection
from rengo.soc.service import SocStore, store_for

log = logging.getLogger(__name__)
RULE_ID = "rengo-soc-lake-behind"
FAILURES_REPORTED = 3


@dataclass(frozen=True, slots=True)
class LakeHealth:
    ready: bool
    reasons: tuple[str, ...]
    head: int
    spool_end: int
    oldest_waiting: datetime | None
    last_commit: datetime | None
    writer_here: bool
    writer_failures: int
    writer_error: str | None

    @property
    def lag_bytes(self) -> int:
        return max(self.spool_end - self.head, 0)

    def lag_seconds(self, now: datetime) -> float:
        if self.oldest_waiting is None:
            return 0.0
        return max((now - self.oldest_waiting).total_seconds(), 0.0)

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "reasons": list(self.reasons),
            "lag_bytes": self.lag_bytes,
            "lag_seconds": round(self.lag_seconds(now), 1),
            "oldest_waiting": self.oldest_waiting.isoformat() if self.oldest_waiting else None,
            "last_commit": self.last_commit.isoformat() if self.last_commit else None,
            "lake_head": self.head,
            "spool_end": self.spool_end,
            "writer_in_this_process": self.writer_here,
            "writer_failures": self.writer_failures,
            "writer_error": self.writer_error,
        }


def lake_health(store: SocStore, settings: SocSettings, now: datetime) -> LakeHealth:
    head = store.lake.head()
    end = store.spool.end()
    waiting = store.spool.received_at(head) if end > head else None
    last = store.lake.last_commit_at()
    writer = store.writer
    here = store.writer_running
    reasons = []
    stall = timedelta(seconds=settings.writer_stall_seconds)
    if waiting is not None and now - waiting > stall and (last is None or now - last > stall):
        waited = int((now - waiting).total_seconds())
        reasons.append(
            f"lake writer stuck: {end - head} bytes waiting for {waited} s with no commit"
        )
    if end - head > settings.spool_max_bytes * 0.9:
        reasons.append(f"spool nearly full: {end - head} of {settings.spool_max_bytes} bytes")
    if here and writer.failures >= FAILURES_REPORTED:
        reasons.append(f"lake writer failed {writer.failures} times: {writer.error!r}")
    return LakeHealth(
        ready=not reasons,
        reasons=tuple(reasons),
        head=head,
        spool_end=end,
        oldest_waiting=waiting,
        last_commit=last,
        writer_here=here,
        writer_failures=writer.failures if here else 0,
        writer_error=repr(writer.error) if here and writer.error else None,
    )


@dataclass
class LagMonitor:
    """Raises one joint alert when the lake falls behind, and again only after it has
    caught up in between."""

    behind: bool = False

    def check(
        self,
        session: Session,
        health: LakeHealth,
        settings: DetectSettings,
        now: datetime,
    ) -> str | None:
        """The public id of the alert raised now, if one was."""
        was, self.behind = self.behind, not health.ready
        if health.ready or was:
            return None
        detection = Detection(
            rule_id=RULE_ID,
            title="SOC lake behind: " + "; ".join(health.reasons),
            level="high",
            techniques=(),
            pack="rengo",
            kind="health",
            ward=JOINT,
            origin="real",
            event_ids=(),
            first_time=now,
            last_time=now,
        )
        result = ingest_detections(session, [detection], settings, now)
        log.warning("lake behind (%s): alert %s", "; ".join(health.reasons), result.new_alerts)
        return result.new_alerts[0] if result.new_alerts else None


class HealthWatch(threading.Thread):
    """For ``rengo serve``: every ``soc.health_check_seconds``, start the lake writer when
    the spool holds batches not yet stored (after a restart nobody else may come to store
    them) and alert when the lake is behind."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="soc-lake-health", daemon=True)
        self.runtime = runtime
        self.stopping = threading.Event()
        self.monitor = LagMonitor()

    def check_once(self) -> str | None:
        runtime, soc = self.runtime, self.runtime.settings.soc
        store = store_for(runtime.data_dir, soc, write=False)
        if store.spool.end() > store.lake.head():
            store.start_writer()  # no-op when this or another process writes
        now = runtime.clock.now()
        health = lake_health(store, soc, now)
        with runtime.db.session() as session:
            return self.monitor.check(session, health, runtime.settings.detect, now)

    def run(self) -> None:
        while not self.stopping.wait(self.runtime.settings.soc.health_check_seconds):
            try:
                self.check_once()
            except Exception:  # a lost database: log and try again next round
                log.exception("lake health check failed")

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)
