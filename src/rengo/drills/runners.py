"""Live exercises started from the web run in background threads of the server process,
one per exercise; the server stops them when it shuts down (the exercise stays running
in the database, and the next server's supervisor takes it up: ``drills/supervisor.py``)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from rengo.core.permissions import Principal
from rengo.core.runtime import Runtime
from rengo.drills.live import LiveRunner
from rengo.drills.loader import RuleCatalog

log = logging.getLogger("rengo.drills")


@dataclass
class Running:
    runner: LiveRunner
    thread: threading.Thread
    stop: threading.Event


class Runners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, Running] = {}

    def start(
        self,
        runtime: Runtime,
        principal: Principal,
        public_id: str,
        rules: RuleCatalog,
        base_url: str,
    ) -> LiveRunner:
        runner = LiveRunner(runtime, public_id, rules, base_url=base_url)
        runner.start(principal)
        self._run(runner, public_id)
        return runner

    def adopt(self, runtime: Runtime, public_id: str, rules: RuleCatalog, base_url: str) -> None:
        """Go on with a running exercise whose runner stopped (``LiveRunner.adopt``)."""
        runner = LiveRunner(runtime, public_id, rules, base_url=base_url)
        runner.adopt()
        self._run(runner, public_id)

    def _run(self, runner: LiveRunner, public_id: str) -> None:
        stop = threading.Event()

        def run() -> None:
            try:
                runner.run(stop)
            except Exception:  # the exercise stays in the database; abort or rerun it
                log.exception("exercise %s: the runner failed", public_id)
            finally:
                with self._lock:
                    self._running.pop(public_id, None)

        thread = threading.Thread(target=run, name=f"rengo-drill-{public_id}", daemon=True)
        with self._lock:
            self._running[public_id] = Running(runner, thread, stop)
        thread.start()

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

    def stop_all(self, timeout: float = 10.0) -> None:
        with self._lock:
            items = list(self._running.values())
        for item in items:
            item.stop.set()
        for item in items:
            item.thread.join(timeout)
