"""From spooled batches to lake commits: parse, give ids, quarantine, store.

``LakeWriter`` is the only writer of the lake. It holds an exclusive lock file while it
runs (one writer per data directory), recovers the lake, then drains the spool chunk by
chunk: each chunk becomes one lake commit whose sequence is the spool position after
it, which is how a restart knows where to resume. Big chunks are parsed by worker
processes (``parse_pool``) while the writer stores the chunk before them; upkeep
(compaction, retention) runs in a thread of its own so that it never stalls ingest.
"""

from __future__ import annotations

import fcntl
import gc
import hashlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from rengo.core.types import TenantCode
from rengo.core.wards import ward_codes
from rengo.soc.envelopes import Limits, split_body
from rengo.soc.lake import Commit, Lake, events_table
from rengo.soc.maintenance import apply_retention, compact
from rengo.soc.parse_pool import Parsed, ParserPool
from rengo.soc.parsers import ParseError, parse_record
from rengo.soc.recovery import recover
from rengo.soc.spool import Batch, Spool, SpooledBatch

log = logging.getLogger(__name__)


def event_id(ward: TenantCode, source: str, key: str, number: int, record: bytes) -> str:
    """Stable id: the same record at the same place of the same input gets the same id."""
    return _IdMaker(ward, source, key)(number, record)


class _IdMaker:
    """``event_id`` for the records of one batch: the shared prefix is hashed once."""

    def __init__(self, ward: TenantCode, source: str, key: str) -> None:
        self._prefix = hashlib.blake2b(digest_size=16)
        self._prefix.update(f"{ward}\x1f{source}\x1f{key}\x1f".encode())

    def __call__(self, number: int, record: bytes) -> str:
        digest = self._prefix.copy()
        digest.update(b"%d\x1f" % number)
        digest.update(record)
        return digest.hexdigest()


def _records(
    spooled: SpooledBatch, limits: Limits
) -> Iterator[tuple[int, bytes | None, str | None]]:
    batch = spooled.batch
    if not batch.content_type:
        refusal = limits.refusal
        for i, record in enumerate(batch.records):
            yield batch.first_number + i, record, refusal(record)
        return
    number = 0
    for body in batch.records:
        try:
            for piece, error in split_body(body, batch.content_type, limits):
                number += 1
                yield number, piece, error
        except Exception as exc:  # an envelope bug must not stop the records behind it
            log.exception("envelope failure at %s record %d", batch.source, number + 1)
            yield number + 1, None, f"body unreadable from here ({type(exc).__name__}: {exc})"


def _failure(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    return f"parser failure ({type(exc).__name__}: {exc})"


def process(
    spooled: SpooledBatch, limits: Limits | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parse every record of a spooled batch into events or quarantine rows.

    Each record stands alone: one that is too large, nests too deeply or breaks its
    parser becomes a quarantine row with the reason, and the records behind it go on.
    """
    batch = spooled.batch
    limits = limits or Limits()
    key = batch.key or f"spool:{spooled.position}"
    events: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    unit = _unit(batch)
    known_ward = batch.ward in ward_codes()
    make_id = _IdMaker(batch.ward, batch.source, key)
    parse, fmt_in, received = parse_record, batch.format, batch.received
    for number, record, error in _records(spooled, limits):
        if not known_ward:
            error = (
                f"sender {batch.source} belongs to no ward (ward {batch.ward!r}); fix the ward map"
            )
        elif error is None and record is not None:
            try:
                fmt, event = parse(fmt_in, record, received)
                if event.get("time") is None:
                    raise ParseError("no time")
            except ParseError as exc:
                error = exc.reason
            except Exception as exc:  # a parser bug must not stop the batch
                log.warning("parser failure at %s %s %d: %r", batch.source, unit, number, exc)
                error = _failure(exc)
        if error is not None or record is None:
            raw = record if record is not None else b""
            rejected.append(
                {
                    "quarantine_id": make_id(number, raw),
                    "received": batch.received,
                    "ward": batch.ward,
                    "origin": batch.origin,
                    "source": batch.source,
                    "format": batch.format,
                    "location": f"{batch.source} {unit} {number}",
                    "reason": error or "unreadable",
                    "raw": raw,
                }
            )
            continue
        event["event_id"] = make_id(number, record)
        event["ward"] = batch.ward
        event["origin"] = batch.origin
        event["source"] = batch.source
        event["format"] = fmt
        event["raw"] = record.decode("utf-8", "replace")
        event["_number"] = number  # not a column: names the record should it not fit one
        events.append(event)
    return events, rejected


def _unit(batch: Batch) -> str:
    return "line" if batch.source.startswith("file:") and batch.format != "evtx" else "record"


def _table(
    events: list[dict[str, Any]], ends: list[tuple[int, Batch]], rejected: list[dict[str, Any]]
) -> pa.Table:
    """The events as one table. Should a value not fit its column (a number beyond 64
    bits, a time out of range), that event alone is quarantined and the rest stored.

    ``ends`` holds, per batch, the index in ``events`` after its last event.
    """
    try:
        return events_table(events)
    except (pa.ArrowException, OverflowError, ValueError, TypeError):
        pass
    kept: list[dict[str, Any]] = []
    start = 0
    for end, batch in ends:
        for event in events[start:end]:
            try:
                events_table([event])
            except (pa.ArrowException, OverflowError, ValueError, TypeError) as exc:
                rejected.append(
                    {
                        "quarantine_id": event["event_id"],
                        "received": batch.received,
                        "ward": batch.ward,
                        "origin": batch.origin,
                        "source": batch.source,
                        "format": batch.format,
                        "location": f"{batch.source} {_unit(batch)} {event['_number']}",
                        "reason": f"a value does not fit the lake ({type(exc).__name__}: {exc})",
                        "raw": event["raw"].encode(),
                    }
                )
                continue
            kept.append(event)
        start = end
    return events_table(kept)


def whole_batch_rejected(spooled: SpooledBatch, exc: BaseException) -> list[dict[str, Any]]:
    """Last resort: a batch that could not be processed at all is quarantined whole."""
    batch = spooled.batch
    make_id = _IdMaker(batch.ward, batch.source, batch.key or f"spool:{spooled.position}")
    return [
        {
            "quarantine_id": make_id(batch.first_number + i, record),
            "received": batch.received,
            "ward": batch.ward,
            "origin": batch.origin,
            "source": batch.source,
            "format": batch.format,
            "location": f"{batch.source} batch at spool position {spooled.position}",
            "reason": f"batch could not be processed ({type(exc).__name__}: {exc})",
            "raw": record,
        }
        for i, record in enumerate(batch.records)
    ]


def parse_batches(batches: list[SpooledBatch], limits: Limits | None = None) -> Parsed:
    """Parse consecutive spooled batches into one table of events and quarantine rows."""
    # Parsing makes many small dicts and no cycles: the cyclic GC would only rescan them.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        events: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        ends: list[tuple[int, Batch]] = []
        for spooled in batches:
            try:
                good, bad = process(spooled, limits)
            except Exception as exc:
                log.exception("batch at spool position %d quarantined whole", spooled.position)
                rejected.extend(whole_batch_rejected(spooled, exc))
                continue
            events.extend(good)
            rejected.extend(bad)
            ends.append((len(events), spooled.batch))
        return _table(events, ends, rejected), rejected
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class LakeWriter:
    spool: Spool
    lake: Lake
    chunk_bytes: int = 8 << 20
    compact_every_seconds: float = 300.0
    compact_min_files: int = 8
    compact_memory_mb: int = 256
    retention_days: int = 400
    retention_by_ward: dict[str, int] = field(default_factory=dict)
    processes: int = 2
    """Worker processes parsing big chunks (0: parse in the writer's thread)."""
    parallel_min_bytes: int = 4 << 20
    """A chunk smaller than this is parsed in the writer's thread (no worker start-up)."""
    limits: Limits = field(default_factory=Limits)
    """What one record may be; a record past them is quarantined with the reason."""
    _lock_file: IO[bytes] | None = None
    _thread: threading.Thread | None = None
    _upkeep_thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _commit_lock: threading.Lock = field(default_factory=threading.Lock)
    _pool: ParserPool | None = None
    _ahead: deque[tuple[list[SpooledBatch], Callable[[], Parsed]]] = field(default_factory=deque)
    error: BaseException | None = None
    """The last failure of the writer thread (cleared by the next commit)."""
    failures: int = 0
    """Failed attempts since the last commit (``/readyz`` reports them)."""
    last_commit_at: datetime | None = None

    def acquire(self, blocking: bool = False) -> bool:
        """Become the lake's one writer; ``False`` if another process is it."""
        if self._lock_file is not None:
            return True
        handle = open(Path(self.lake.root) / "writer.lock", "a+b")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            return False
        self._lock_file = handle
        recover(self.lake)
        self.spool.consume(max(self.spool.consumed(), self.lake.head()))
        return True

    def release(self) -> None:
        self._ahead.clear()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    # -- draining -----------------------------------------------------------------------

    def _parse_later(self, chunk: list[SpooledBatch]) -> Callable[[], Parsed]:
        size = chunk[-1].end - chunk[0].position
        # After a failure the chunk is parsed here: a broken worker pool cannot stop it.
        if self.processes < 1 or size < self.parallel_min_bytes or self.failures:
            return lambda: parse_batches(chunk, self.limits)
        if self._pool is None:
            self._pool = ParserPool(partial(parse_batches, limits=self.limits), self.processes)
        return self._pool.submit(chunk)

    def _read_ahead(self, head: int) -> None:
        """Have the chunks from ``head`` on being parsed: the next one, and while workers
        are used, the one after it (parsed while this thread stores the first)."""
        if self._ahead and self._ahead[0][0][0].position != head:
            self._ahead.clear()  # the lake moved without us (cannot happen to one writer)
        depth = 2 if self._pool is not None else 1
        while len(self._ahead) < depth:
            start = self._ahead[-1][0][-1].end if self._ahead else head
            chunk = self.spool.read(start, self.chunk_bytes)
            if not chunk:
                return
            self._ahead.append((chunk, self._parse_later(chunk)))

    def drain_once(self) -> Commit | None:
        """Store the next chunk of the spool; ``None`` when there is nothing to store."""
        if self._lock_file is None:
            raise RuntimeError("drain_once() without acquire()")
        head = self.lake.head()
        try:
            self._read_ahead(head)
            if not self._ahead:
                return None
            chunk, parsed = self._ahead.popleft()
            self._read_ahead(chunk[-1].end)
            table, rejected = parsed()
        except BaseException:
            # Start again from the head: a broken worker pool is replaced.
            self._ahead.clear()
            if self._pool is not None:
                self._pool.close()
            raise
        with self._commit_lock:
            commit = self.lake.commit(chunk[-1].end, table, rejected)
        self.spool.consume(commit.seq)
        self.error, self.failures = None, 0
        self.last_commit_at = datetime.now(UTC)
        return commit

    def drain(self) -> int:
        """Drain until the spool is empty; return the number of events stored."""
        stored = 0
        while (commit := self.drain_once()) is not None:
            stored += commit.events + commit.quarantined
        return stored

    def upkeep(self, now: datetime | None = None) -> None:
        """Compact small files and drop days past retention, between two commits."""
        now = now or datetime.now(UTC)
        # Compaction runs beside commits: it merges only files of commits already made, and
        # an event committed meanwhile lands in a new file whose sequence is above the
        # merged file's, so readers keep it. Removing a day must not race a commit into it.
        compact(
            self.lake,
            min_files=self.compact_min_files,
            today=now.date(),
            memory_mb=self.compact_memory_mb,
            stop=self._stop,
        )
        if self._stop.is_set():
            return
        with self._commit_lock:
            apply_retention(self.lake, now, self.retention_days, self.retention_by_ward)

    # -- background threads -----------------------------------------------------------

    def start(self) -> None:
        if not self.acquire(blocking=True):
            raise RuntimeError("could not become the lake writer")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="soc-lake-writer", daemon=True)
        self._thread.start()
        self._upkeep_thread = threading.Thread(
            target=self._run_upkeep, name="soc-lake-upkeep", daemon=True
        )
        self._upkeep_thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.drain_once() is None:
                    with self.spool.appended:
                        self.spool.appended.wait(0.2)
            except Exception as exc:  # keep the spool; report (/readyz) and retry later
                self.error = exc
                self.failures += 1
                log.exception("lake writer failed; retrying in 5 s")
                self._stop.wait(5.0)

    def _run_upkeep(self) -> None:
        while not self._stop.wait(self.compact_every_seconds):
            try:
                self.upkeep()
            except Exception:  # the lake stays readable; try again next round
                log.exception("lake upkeep failed")

    def stop(self) -> None:
        self._stop.set()
        with self.spool.appended:
            self.spool.appended.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self._upkeep_thread is not None:
            # No timeout: a merge still running when the lock is let go could race the
            # next writer's; the stop flag ends it at its next slice or file.
            self._upkeep_thread.join()
        self.release()
