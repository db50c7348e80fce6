"""Incremental detection in the background of ``rengo serve`` (``detect.follow_with_serve``).

One process per data directory follows the lake — the holder of
``<data>/files/soc/detect.lock`` (an ``flock``), so that ``rengo serve --workers 4`` or
a ``rengo soc detect --follow`` beside it never evaluate an event twice. The others
wait for the lock and take over when its holder stops. A failing batch is logged and
tried again after ``detect.poll_seconds``; the cursor only moves once its detections
are queued, so nothing is lost or counted twice.

Rules are reloaded without a restart: between batches (at most every ``poll_seconds``)
the follower compares a fingerprint of the rule folders (each rule file's path, size
and modification time); when it changed, the rules are loaded again and the next batch
runs with them from the saved cursor. An edit that brings a rule error (file:line in
the log) is refused: the rules that ran keep running until the folder changes again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rengo.core.runtime import Runtime
from rengo.soc.detect.settings import DetectSettings

if TYPE_CHECKING:
    from rengo.soc.detect.runner import IncrementalDetector

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
                if stop.wait(runtime.settings.section(DetectSettings).poll_seconds):
                    yield False
                    return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def rules_fingerprint(folders: list[Path]) -> str:
    """A digest of the rule files under ``folders`` (path, size, modification time)."""
    digest = hashlib.sha256()
    for folder in folders:
        paths = [folder] if folder.is_file() else sorted(folder.rglob("*.y*ml"))
        for path in paths:
            try:
                stat = path.stat()
            except OSError:  # removed while listing: the next look sees it gone
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class FollowThread(threading.Thread):
    """``IncrementalDetector.follow`` in a daemon thread until ``stop()``."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="rengo-detect-follow", daemon=True)
        self.runtime = runtime
        self.stopping = threading.Event()
        self.batches = 0
        """Batches evaluated (for tests and the log)."""
        self.reloads = 0
        """Times the rules were loaded again after their folders changed."""
        self._problems: set[tuple[str, int | None, str]] = set()
        """Rule errors of the rules running: a reload that adds one is refused."""

    def run(self) -> None:
        from rengo.soc.detect.runner import IncrementalDetector, load_configured_rules, open_lake

        folders = list(self.runtime.settings.section(DetectSettings).rule_folders)
        with follower_lock(self.runtime, self.stopping) as mine:
            if not mine:
                return
            runner = None
            current = rules_fingerprint(folders)
            try:
                while not self.stopping.is_set():
                    try:
                        if runner is None:
                            rules = load_configured_rules(self.runtime)
                            self._problems = {(p.path, p.line, p.message) for p in rules.problems}
                            runner = IncrementalDetector(
                                self.runtime, rules, open_lake(self.runtime)
                            )
                            log.info(
                                "incremental detection: %d rules from cursor %d",
                                len(rules.rules),
                                runner.cursor,
                            )
                        looked = time.monotonic()
                        for report in runner.follow(self.stopping):
                            self.batches += 1
                            if report.events:
                                log.info(
                                    "detection: %d events, %d detections, %d new alerts in %.2f s",
                                    report.events,
                                    report.detections,
                                    report.new_alerts,
                                    report.seconds,
                                )
                            if (
                                time.monotonic() - looked
                                < self.runtime.settings.section(DetectSettings).poll_seconds
                            ):
                                continue
                            looked = time.monotonic()
                            if (now := rules_fingerprint(folders)) == current:
                                continue
                            current = now  # rules that fail are not tried again until edited
                            if (fresh := self._reloaded(runner)) is not None:
                                runner = fresh
                                break
                    except Exception:  # a bad batch or a lost database: log, wait, go on
                        log.exception("incremental detection failed; trying again")
                        self.stopping.wait(
                            self.runtime.settings.section(DetectSettings).poll_seconds
                        )
            finally:
                if runner is not None:
                    runner.close()

    def _reloaded(self, runner: IncrementalDetector) -> IncrementalDetector | None:
        """A detector with the rules loaded again from the saved cursor, or ``None`` (and
        the old one kept) when they do not load."""
        from rengo.soc.detect.runner import IncrementalDetector, load_configured_rules, open_lake

        try:
            rules = load_configured_rules(self.runtime)
            broken = {(p.path, p.line, p.message) for p in rules.problems} - self._problems
            if broken:
                for path, line, message in sorted(broken, key=str):
                    log.error("rule %s:%s: %s", path, line or "?", message)
                log.error("the changed rules have errors; the previous rules keep running")
                return None
            fresh = IncrementalDetector(self.runtime, rules, open_lake(self.runtime))
        except Exception:
            log.exception("the changed rules did not load; the previous rules keep running")
            return None
        self._problems = {(p.path, p.line, p.message) for p in rules.problems}
        runner.close()
        self.reloads += 1
        log.info("rules reloaded: %d rules, from cursor %d", len(rules.rules), fresh.cursor)
        return fresh

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        self.join(timeout)


def start_with_serve(runtime: Runtime) -> FollowThread | None:
    """For ``rengo serve``: start following when ``detect.follow_with_serve`` says so."""
    if not runtime.settings.section(DetectSettings).follow_with_serve:
        return None
    thread = FollowThread(runtime)
    thread.start()
    return thread
