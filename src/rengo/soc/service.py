"""The SOC store of one data directory: spool, lake and (in one process) the lake writer.

``SocStore.open`` is what the CLI, the web API and the syslog listener use. The first
process to call ``start_writer`` becomes the lake writer (a lock file decides); other
processes only append to the spool and let that writer store their batches.

Where accepted batches go is the store's ``intake``: the embedded spool by default, or
NATS JetStream when ``soc.nats_url`` is set (then ``rengo soc writer`` processes store
them and no process here writes the lake). Callers use ``accept`` and catch
``IngestBusy`` alike for both.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from rengo.core.storage import DataDir
from rengo.soc.envelopes import Limits
from rengo.soc.lake import Lake
from rengo.soc.pipeline import LakeWriter
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch, Spool

DOMAIN = "soc"


class Intake(Protocol):
    """Where accepted batches are made durable before the sender is told so."""

    publishes: bool
    """``True``: other processes (``rengo soc writer``) store them in the lake."""

    def accept(self, batches: list[Batch], wait_seconds: float = 0.0) -> int:
        """Make ``batches`` durable; a position (spool) or stream sequence after them.
        Raises ``IngestBusy`` when that cannot be done within ``wait_seconds``."""
        ...

    def close(self) -> None: ...


@dataclass
class SpoolIntake:
    spool: Spool
    publishes = False

    def accept(self, batches: list[Batch], wait_seconds: float = 0.0) -> int:
        self.spool.append(batches, wait_seconds=wait_seconds)
        return self.spool.end()

    def close(self) -> None:
        pass


def limits_of(settings: SocSettings) -> Limits:
    """The record limits ``settings`` ask for (the HTTP edge and the writer use the same)."""
    return Limits(max_record_bytes=settings.max_record_bytes, max_depth=settings.max_json_depth)


@dataclass
class SocStore:
    spool: Spool
    lake: Lake
    settings: SocSettings
    intake: Intake | None = None
    """Default: the spool."""
    writer: LakeWriter = field(init=False)
    _writer_running: bool = False

    def __post_init__(self) -> None:
        if self.intake is None:
            self.intake = SpoolIntake(self.spool)
        self.writer = LakeWriter(
            self.spool,
            self.lake,
            chunk_bytes=self.settings.writer_chunk_bytes,
            compact_every_seconds=self.settings.compact_every_seconds,
            compact_min_files=self.settings.compact_min_files,
            compact_memory_mb=self.settings.compact_memory_mb,
            retention_days=self.settings.retention_days,
            retention_by_ward=dict(self.settings.retention_days_by_ward),
            processes=self.settings.writer_processes,
            limits=limits_of(self.settings),
        )

    @classmethod
    def open(cls, data_dir: DataDir, settings: SocSettings) -> SocStore:
        spool = Spool(
            data_dir.spool(DOMAIN),
            segment_bytes=settings.spool_segment_bytes,
            max_pending_bytes=settings.spool_max_bytes,
        )
        intake: Intake | None = None
        if settings.nats_url:
            from rengo.soc.nats_bus import NatsIntake  # nats-py only where it is used

            intake = NatsIntake(settings, limits_of(settings))
        return cls(spool, Lake(data_dir.lake(DOMAIN)), settings, intake)

    @property
    def publishes(self) -> bool:
        """Whether accepted batches go to NATS (stored by ``rengo soc writer``)."""
        return self._intake.publishes

    @property
    def _intake(self) -> Intake:
        assert self.intake is not None
        return self.intake

    @property
    def writer_running(self) -> bool:
        """Whether this process runs the lake writer."""
        return self._writer_running

    def start_writer(self) -> bool:
        """Run the lake writer in this process if no other process does; ``True`` if so."""
        if self._writer_running:
            return True
        if self.publishes:
            return False  # `rengo soc writer` processes store what NATS holds
        if not self.writer.acquire(blocking=False):
            return False
        self.writer.start()
        self._writer_running = True
        return True

    def stop_writer(self) -> None:
        if self._writer_running:
            self.writer.stop()
            self._writer_running = False

    def accept(self, batches: list[Batch], wait_seconds: float = 0.0) -> int:
        """Make ``batches`` durable (spool or NATS); return the position after them (see
        ``wait_stored``; with NATS the stream sequence). Raises ``IngestBusy``."""
        return self._intake.accept(batches, wait_seconds)

    def wait_stored(self, position: int, timeout: float = 30.0) -> bool:
        """Wait until the lake holds everything spooled below ``position``."""
        deadline = time.monotonic() + timeout
        while self.lake.head() < position:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


_stores: dict[str, SocStore] = {}
_stores_lock = threading.Lock()


def store_for(data_dir: DataDir, settings: SocSettings, *, write: bool = True) -> SocStore:
    """The process's store for a data directory (its writer started when ``write``)."""
    with _stores_lock:
        store = _stores.get(str(data_dir.root))
        if store is None:
            store = SocStore.open(data_dir, settings)
            _stores[str(data_dir.root)] = store
    if write:
        store.start_writer()
    return store


def close_stores() -> None:
    with _stores_lock:
        for store in _stores.values():
            store.stop_writer()
            store._intake.close()
        _stores.clear()
