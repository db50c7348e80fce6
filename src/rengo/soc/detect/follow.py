"""Incremental detection in the background of ``rengo serve`` (``detect.follow_with_serve``).

One process per data directory follows the lake — the holder of
``<data>/files/soc/detect.lock`` (an ``flock``), so that ``rengo serve --workers 4`` or
a ``rengo soc detect --follow`` beside it never evaluate an event twice. The others
wait for the lock and take over when its holder stops. A failing batch is logged and
tried again after ``detect.poll_seconds``; the cursor only moves once its detections
are queued, so nothing is lost or counted twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rengo.core.runtime import Runtime

log = logging.getLogger("rengo.soc.detect")


@contextmanager
def follower_lock(runtime: Runtime, stop: threading.Event) -> Iterator[bool]:
    """Hold the data directory's follower lock (waiting for it until ``stop``); yields
    whether it was taken."""
    path = runtime.data_dir.files("soc") / "detect.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop.wait(runtime.settings.detect.poll_seconds):
                    yield False
                    return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


class FollowThread(threading.Thread):
    """``IncrementalDetector.follow`` in a daemon thread until ``stop()``."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="rengo-detect-follow", daemon=True)
        self.runtime = runtime
        self.stopping = threading.Event()
        self.batches = 0
        """Batches evaluated (for tests and the log)."""

    def run(self) -> None:
        from rengo.soc.detect.runner import IncrementalDetector, load_configured_rules, open_lake

        with follower_lock(self.runtime, self.stopping) as mine:
            if not mine:
                return
            runner = None
            try:
                while not self.stopping.is_set():
                    try:
                        if runner is None:
                            rules = load_configured_rules(self.runtime)
                            runner = IncrementalDetector(
                                self.runtime, rules, open_lake(self.runtime)
                            )
                            log.info("incremental detection: %d rules from cursor %d",
                                     len(rules.rules), runner.cursor)  # fmt: skip
                        for report in runner.follow(self.stopping):
                            self.batches += 1
                            if report.events:
                                log.info("detection: %d events, %d detections, %d new alerts in %.2f s",
                                         report.events, report.detections, report.new_alerts, report.seconds)  # fmt: skip
                    except Exception:  # a bad batch or a lost database: log, wait, go on
                        log.exception("incremental detection failed; trying again")
                        self.stopping.wait(self.runtime.settings.detect.poll_seconds)
            finally:
                if runner is not None:
                    runner.close()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.join(timeout)


def start_with_serve(runtime: Runtime) -> FollowThread | None:
    """For ``rengo serve``: start following when ``detect.follow_with_serve`` says so."""
    if not runtime.settings.detect.follow_with_serve:
        return None
    thread = FollowThread(runtime)
    thread.start()
    return thread
