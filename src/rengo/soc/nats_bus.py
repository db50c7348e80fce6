"""Ingest through NATS JetStream: accepted batches are published to a stream, one subject
per ward, and the sender is told "accepted" only after JetStream acknowledged storing
them. Lake writers (``rengo soc writer``, ``nats_writer``) consume the stream.

Each message is one spool frame (``Batch.encode``) with ``Nats-Msg-Id`` = ``batch_id``,
so a batch published again within the stream's duplicate window (a sender retrying after
a timeout, a publish whose acknowledgement was lost) is stored once. nats-py is asyncio;
ingest runs in threads, so one event loop thread per process owns the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Coroutine
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import NotFoundError

from rengo.core.errors import InvalidInput, Problem
from rengo.soc.envelopes import Limits, split_body
from rengo.soc.settings import SocSettings
from rengo.soc.spool import FRAME, MAGIC, Batch, IngestBusy

log = logging.getLogger(__name__)
T = TypeVar("T")
MSG_ID = "Nats-Msg-Id"
OVERSIZED = "nats-oversized"
"""Format of a batch carrying only the start of a record larger than NATS's
``max_payload`` (``<OVERSIZED>:<its size>``): the writer quarantines it with the reason."""


class NatsUnavailable(IngestBusy):
    """NATS did not store the batches in time (down, unreachable, or slow)."""


def batch_id(batch: Batch) -> str:
    """The batch's message id: what it says, not when it came.

    A batch with a key (a file's digest) or a body (HTTP) is named by its content, so
    the same body sent again is stored once; records gathered by the syslog listener
    (no key, no body) are named with their receive time too, since two flushes may
    legitimately hold the same lines."""
    digest = hashlib.blake2b(digest_size=16)
    parts = [batch.ward, batch.source, batch.format, batch.origin, batch.key]
    parts += [str(batch.first_number), batch.content_type]
    if not batch.key and not batch.content_type:
        parts.append(batch.received.isoformat())
    digest.update("\x1f".join(parts).encode())
    for record in batch.records:
        digest.update(b"\x1e%d\x1f" % len(record))
        digest.update(record)
    return digest.hexdigest()


def subject_of(settings: SocSettings, ward: str) -> str:
    return f"{settings.nats_subject_prefix}.{ward}"


def fit(batch: Batch, max_bytes: int, limits: Limits) -> list[Batch]:
    """``batch`` as batches that each encode to at most ``max_bytes`` (NATS's
    ``max_payload``); record numbers and event ids stay those of the whole batch. A body
    (HTTP) too large is cut into its records first."""
    if len(batch.encode()) <= max_bytes:
        return [batch]
    records = batch.records
    if batch.content_type:
        records = [
            piece
            for body in records
            for piece, _ in split_body(body, batch.content_type, limits)
            if piece is not None
        ]
    head = len(batch.encode()) - sum(4 + len(r) for r in batch.records) + 64
    out: list[Batch] = []
    part: list[bytes] = []
    size, first = head, batch.first_number
    for record in records:
        if head + 4 + len(record) > max_bytes:
            if batch.content_type:  # HTTP: the sender is told (422)
                raise InvalidInput(
                    "record larger than the message bus takes",
                    [Problem(f"{len(record)} bytes; NATS max_payload is {max_bytes}", "body")],
                )
            # Syslog, files: no one to tell; its start goes on, to be quarantined.
            if part:
                out.append(_part(batch, part, first))
                first += len(part)
                part, size = [], head
            kept = _part(batch, [record[: max_bytes - head - 4]], first)
            kept.format = f"{OVERSIZED}:{len(record)}"
            out.append(kept)
            first += 1
            continue
        if part and size + 4 + len(record) > max_bytes:
            out.append(_part(batch, part, first))
            first += len(part)
            part, size = [], head
        part.append(record)
        size += 4 + len(record)
    if part:
        out.append(_part(batch, part, first))
    return out


def _part(batch: Batch, records: list[bytes], first: int) -> Batch:
    return Batch(
        ward=batch.ward,
        source=batch.source,
        format=batch.format,
        records=records,
        origin=batch.origin,
        received=batch.received,
        key=batch.key,
        first_number=first,
    )


async def connect(settings: SocSettings, *, timeout: float = 2.0) -> Client:
    assert settings.nats_url
    return await nats.connect(
        settings.nats_url.split(","),
        connect_timeout=timeout,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        name="rengo",
    )


async def ensure_stream(js: JetStreamContext, settings: SocSettings) -> None:
    """Create the stream if it does not exist (an existing one is left as configured)."""
    try:
        await js.stream_info(settings.nats_stream)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        StreamConfig(
            name=settings.nats_stream,
            subjects=[f"{settings.nats_subject_prefix}.>"],
            storage=StorageType.FILE,
            num_replicas=settings.nats_replicas,
            duplicate_window=settings.nats_duplicate_window_seconds,
        )
    )


class LoopThread:
    """An asyncio event loop in a daemon thread, for code that runs in threads."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        """Cancel what still runs on the loop (the client's reader tasks), then end it."""

        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.run(cancel_the_rest(), 5.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self.loop.close()


class NatsIntake:
    """Publishes accepted batches to JetStream (the ``Intake`` of a store with a NATS URL)."""

    publishes = True

    def __init__(self, settings: SocSettings, limits: Limits) -> None:
        self.settings, self.limits = settings, limits
        self._loop = LoopThread("soc-nats")
        self._client: Client | None = None
        self._js: JetStreamContext | None = None
        self._connecting: asyncio.Lock | None = None

    async def _connected(self) -> JetStreamContext:
        """The JetStream context; connects on first use (a client once connected
        reconnects by itself after an outage)."""
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._js is None or self._client is None or self._client.is_closed:
                client = await connect(self.settings)
                js = client.jetstream()
                try:
                    await ensure_stream(js, self.settings)
                except BaseException:
                    await client.close()
                    raise
                self._client, self._js = client, js
            return self._js

    async def _publish(self, batches: list[Batch]) -> int:
        js = await self._connected()
        assert self._client is not None
        # Leave room for the headers within the server's max_payload.
        room = self._client.max_payload - 256
        parts = [part for batch in batches for part in fit(batch, room, self.limits)]
        acks = await asyncio.gather(
            *(
                js.publish(
                    subject_of(self.settings, part.ward),
                    part.encode(),
                    timeout=self.settings.nats_publish_timeout_seconds,
                    stream=self.settings.nats_stream,
                    headers={MSG_ID: batch_id(part)},
                )
                for part in parts
            )
        )
        return max(ack.seq for ack in acks)

    def accept(self, batches: list[Batch], wait_seconds: float = 0.0) -> int:
        """Publish ``batches``; return the stream sequence of the last one. Raises
        ``NatsUnavailable`` when JetStream has not stored them after trying for
        ``wait_seconds`` (at least once)."""
        deadline = time.monotonic() + wait_seconds
        timeout = self.settings.nats_publish_timeout_seconds + 3.0
        while True:
            try:
                return self._loop.run(self._publish(batches), timeout)
            except InvalidInput:
                raise
            except Exception as exc:
                log.warning("publishing to NATS failed: %r", exc)
                if time.monotonic() >= deadline:
                    raise NatsUnavailable(f"NATS did not store the batch: {exc!r}") from exc
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        client = self._client
        if client is not None and not client.is_closed:
            try:
                self._loop.run(client.close(), 5.0)
            except Exception:
                log.warning("closing the NATS connection failed", exc_info=True)
        self._loop.stop()


def decode(data: bytes) -> Batch:
    """The ``Batch`` a message holds (``ValueError`` when it holds none)."""
    if len(data) < FRAME.size:
        raise ValueError("message shorter than a batch frame")
    magic, length, crc, header_length = FRAME.unpack_from(data)
    payload = data[FRAME.size : FRAME.size + length]
    if magic != MAGIC or len(payload) != length or zlib.crc32(payload) != crc:
        raise ValueError("message is not a whole batch frame")
    return Batch.decode(payload, header_length)
