"""The write-ahead spool: accepted batches are appended and fsync'd before anyone is
told "accepted"; the lake writer drains them later and says how far it got.

Segments ``<start position>.wal`` hold frames ``magic | payload length | crc32 | header
length | header JSON | records``; a position is a byte offset over all segments ever
written, so it only grows. A frame torn by a crash (never acknowledged, since the fsync
had not returned) is cut off when the spool is next opened. Segments wholly below the
consumed position are deleted. Appends from several processes (``rengo serve`` and
``rengo soc ingest``) are serialised by a lock file.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from rengo.core.storage import fsync_directory, write_atomically
from rengo.core.types import TenantCode

FRAME = struct.Struct("<4sIII")
MAGIC = b"RSP1"
RECORD_LENGTH = struct.Struct("<I")


class IngestBusy(Exception):
    """Accepted batches cannot be made durable now (the spool is full, NATS is down or
    slow): the sender must try again later (HTTP 503 with Retry-After)."""


class SpoolFull(IngestBusy):
    """The writer is behind by more than the spool may hold: try again later."""

    def __init__(self, pending: int, limit: int) -> None:
        super().__init__(f"spool holds {pending} bytes not yet stored (limit {limit})")
        self.pending, self.limit = pending, limit


@dataclass(slots=True)
class Batch:
    """Records received together from one source of one ward."""

    ward: TenantCode
    source: str
    format: str
    records: list[bytes]
    origin: str = "real"
    received: datetime = field(default_factory=lambda: datetime.now(UTC))
    key: str = ""
    """What makes event ids stable across re-sends (a file digest); default the position."""
    first_number: int = 1
    """Number of the first record in its file or request (for quarantine locations)."""
    content_type: str = ""

    def encode(self) -> bytes:
        header = orjson.dumps(
            {
                "ward": self.ward,
                "source": self.source,
                "format": self.format,
                "origin": self.origin,
                "received": self.received.isoformat(),
                "key": self.key,
                "first_number": self.first_number,
                "content_type": self.content_type,
            }
        )
        parts = [header]
        for record in self.records:
            parts.append(RECORD_LENGTH.pack(len(record)))
            parts.append(record)
        payload = b"".join(parts)
        return FRAME.pack(MAGIC, len(payload), zlib.crc32(payload), len(header)) + payload

    @classmethod
    def decode(cls, payload: bytes, header_length: int) -> Batch:
        header = orjson.loads(payload[:header_length])
        records, offset, view = [], header_length, memoryview(payload)
        while offset < len(payload):
            (length,) = RECORD_LENGTH.unpack_from(payload, offset)
            offset += RECORD_LENGTH.size
            records.append(bytes(view[offset : offset + length]))
            offset += length
        return cls(
            ward=header["ward"],
            source=header["source"],
            format=header["format"],
            records=records,
            origin=header["origin"],
            received=datetime.fromisoformat(header["received"]),
            key=header["key"],
            first_number=header["first_number"],
            content_type=header.get("content_type", ""),
        )


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    position: int
    end: int
    batch: Batch


class Spool:
    def __init__(
        self, root: Path, *, segment_bytes: int = 64 << 20, max_pending_bytes: int = 1 << 30
    ) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.max_pending_bytes = max_pending_bytes
        self._lock = threading.Lock()
        self.appended = threading.Condition()
        self._consumed_file = self.root / "consumed"
        with self._locked():
            self._repair_tail()

    # -- positions -------------------------------------------------------------------

    def _segments(self) -> list[tuple[int, Path]]:
        found = []
        for path in self.root.glob("*.wal"):
            if path.stem.isdigit():
                found.append((int(path.stem), path))
        return sorted(found)

    def end(self) -> int:
        segments = self._segments()
        if not segments:
            return self.consumed()
        start, path = segments[-1]
        return start + path.stat().st_size

    def consumed(self) -> int:
        """Everything below this position is stored in the lake (told by ``consume``)."""
        try:
            return int(self._consumed_file.read_text() or 0)
        except FileNotFoundError:
            return 0

    def pending_bytes(self) -> int:
        return self.end() - self.consumed()

    # -- append ----------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.root / "append.lock", "a+b") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _repair_tail(self) -> None:
        """Cut a frame torn by a crash off the last segment (it was never acknowledged)."""
        segments = self._segments()
        if not segments:
            return
        _start, path = segments[-1]
        good = 0
        with open(path, "rb") as handle:
            data = handle.read()
        while good + FRAME.size <= len(data):
            magic, length, crc, _header = FRAME.unpack_from(data, good)
            payload_end = good + FRAME.size + length
            if magic != MAGIC or payload_end > len(data):
                break
            if zlib.crc32(data[good + FRAME.size : payload_end]) != crc:
                break
            good = payload_end
        if good < len(data):
            with open(path, "r+b") as handle:
                handle.truncate(good)
                os.fsync(handle.fileno())

    def append(self, batches: list[Batch], *, wait_seconds: float = 0.0) -> list[int]:
        """Write ``batches`` durably (one fsync) and return their positions.

        Raises ``SpoolFull`` when the lake writer is too far behind, after waiting up to
        ``wait_seconds`` for it to catch up: this is the back-pressure callers pass on.
        """
        frames = [batch.encode() for batch in batches]
        size = sum(len(f) for f in frames)
        self._wait_for_room(size, wait_seconds)
        with self._locked():
            segments = self._segments()
            consumed = self.consumed()
            last_size = segments[-1][1].stat().st_size if segments else 0
            if (
                segments
                and last_size < self.segment_bytes
                and segments[-1][0] + last_size >= consumed
            ):
                start, path = segments[-1]
            else:
                # Past the consumed position: a lake written meanwhile by NATS writers has
                # a head beyond this spool's end, and the writer reads from the head.
                start = max(self.end(), consumed)
                path = self.root / f"{start:020d}.wal"
            positions = []
            with open(path, "ab") as handle:
                offset = start + handle.tell()
                for frame in frames:
                    positions.append(offset)
                    offset += len(frame)
                handle.write(b"".join(frames))
                handle.flush()
                os.fsync(handle.fileno())
            if not segments or segments[-1][1] != path:
                fsync_directory(self.root)
        with self.appended:
            self.appended.notify_all()
        return positions

    def _wait_for_room(self, size: int, wait_seconds: float) -> None:
        deadline = time.monotonic() + wait_seconds
        while True:
            pending = self.pending_bytes()
            if pending == 0 or pending + size <= self.max_pending_bytes:
                return
            if time.monotonic() >= deadline:
                raise SpoolFull(pending, self.max_pending_bytes)
            with self.appended:
                self.appended.wait(min(0.05, max(0.0, deadline - time.monotonic())))

    # -- read and consume --------------------------------------------------------------

    def read(self, start: int, max_bytes: int) -> list[SpooledBatch]:
        """Whole batches from ``start`` on, about ``max_bytes`` of them (at least one).

        Frame by frame, whatever their size (a syslog batch held back by back-pressure
        can be tens of MiB); a frame still being appended ends the read, so a later
        segment is never read past an earlier frame.
        """
        out: list[SpooledBatch] = []
        taken = 0
        for seg_start, path in self._segments():
            try:
                handle = open(path, "rb", buffering=1 << 20)  # noqa: SIM115
            except FileNotFoundError:
                continue  # consumed meanwhile
            with handle:
                size = os.fstat(handle.fileno()).st_size
                if seg_start + size <= start:
                    continue
                position = max(start, seg_start)
                handle.seek(position - seg_start)
                while head := handle.read(FRAME.size):
                    magic, length, crc, header_length = FRAME.unpack_from(head.ljust(FRAME.size))
                    payload = handle.read(length) if len(head) == FRAME.size else b""
                    if magic != MAGIC or len(payload) < length or zlib.crc32(payload) != crc:
                        return out  # the tail of an append in progress
                    end = position + FRAME.size + length
                    out.append(SpooledBatch(position, end, Batch.decode(payload, header_length)))
                    taken += end - position
                    position = end
                    if taken >= max_bytes:
                        return out
            start = position
        return out

    def received_at(self, position: int) -> datetime | None:
        """When the batch at ``position`` was received (its header only is read);
        ``None`` when no whole batch starts there."""
        for seg_start, path in reversed(self._segments()):
            if seg_start > position:
                continue
            try:
                with open(path, "rb") as handle:
                    handle.seek(position - seg_start)
                    head = handle.read(FRAME.size)
                    if len(head) < FRAME.size:
                        return None
                    magic, _length, _crc, header_length = FRAME.unpack(head)
                    header = handle.read(header_length)
            except FileNotFoundError:
                return None  # consumed meanwhile
            if magic != MAGIC or len(header) < header_length:
                return None
            try:
                return datetime.fromisoformat(orjson.loads(header)["received"])
            except (orjson.JSONDecodeError, KeyError, ValueError):
                return None
        return None

    def consume(self, position: int) -> None:
        """Record that the lake holds everything below ``position``; free old segments."""
        write_atomically(self._consumed_file, str(position).encode(), sync_folder=False)
        segments = self._segments()
        for (_start, path), (next_start, _next) in itertools.pairwise(segments):
            if next_start <= position:
                path.unlink(missing_ok=True)
        fsync_directory(self.root)
        with self.appended:
            self.appended.notify_all()
