"""``rengo soc writer``: a lake writer fed by NATS JetStream.

Every writer pulls from one durable consumer (``soc.nats_durable``), so JetStream hands
each batch to one of them; more writers, more throughput. A fetched chunk is parsed by the
same code as the embedded lake writer (``pipeline.parse_batches``: parsers, quarantine,
event ids), committed through ``lake_shared`` (shared sequence, ledger of batch ids), and
acknowledged only after the commit is durable. A writer killed at any point loses nothing
(unacknowledged batches are delivered again after ``soc.nats_ack_wait_seconds``) and
doubles nothing (a batch the ledger holds is acknowledged without being stored again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nats.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig

from rengo.soc.envelopes import Limits
from rengo.soc.lake import Lake
from rengo.soc.lake_shared import SharedLake
from rengo.soc.nats_bus import MSG_ID, OVERSIZED, connect, decode, ensure_stream
from rengo.soc.parse_pool import Parsed
from rengo.soc.pipeline import parse_batches, whole_batch_rejected
from rengo.soc.settings import SocSettings
from rengo.soc.spool import SpooledBatch

log = logging.getLogger(__name__)
LEDGER_SECONDS = 60.0
"""How often a writer forgets the batch ids NATS will not deliver again."""


@dataclass
class WriterCounts:
    batches: int = 0
    """Batches stored by this writer."""
    events: int = 0
    quarantined: int = 0
    duplicates: int = 0
    """Batches delivered again that the lake already held (acknowledged, not stored)."""
    unreadable: int = 0
    """Messages that hold no batch (not published by rengo): logged and acknowledged."""


@dataclass
class NatsWriter:
    settings: SocSettings
    lake: Lake
    limits: Limits
    fetch: int = 64
    """Messages fetched, parsed and committed together, at most."""
    counts: WriterCounts = field(default_factory=WriterCounts)
    shared: SharedLake = field(init=False)

    def __post_init__(self) -> None:
        self.shared = SharedLake(self.lake)

    async def run(self, stop: asyncio.Event) -> None:
        """Store batches until ``stop`` is set (the chunk in hand is finished first)."""
        settings = self.settings
        client = await connect(settings, timeout=5.0)
        self.shared.open()
        try:
            js = client.jetstream()
            await ensure_stream(js, settings)
            subscription = await js.pull_subscribe(
                f"{settings.nats_subject_prefix}.>",
                durable=settings.nats_durable,
                stream=settings.nats_stream,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.EXPLICIT,
                    ack_wait=settings.nats_ack_wait_seconds,
                    max_ack_pending=max(1000, self.fetch * 16),
                ),
            )
            loop = asyncio.get_running_loop()
            upkeep_at = time.monotonic() + settings.compact_every_seconds
            forget_at = time.monotonic() + LEDGER_SECONDS
            while not stop.is_set():
                try:
                    messages = await subscription.fetch(self.fetch, timeout=1.0)
                except TimeoutError:  # nats-py raises its own and asyncio's
                    messages = []
                except nats.errors.Error as exc:  # reconnecting: the client retries
                    log.warning("fetching from NATS failed: %r", exc)
                    await asyncio.sleep(0.5)
                    continue
                if messages:
                    await loop.run_in_executor(None, self.store, messages)
                    for message in messages:
                        await message.ack()
                if time.monotonic() >= upkeep_at:
                    await loop.run_in_executor(None, self.upkeep)
                    upkeep_at = time.monotonic() + settings.compact_every_seconds
                if time.monotonic() >= forget_at:  # keep the ledger small
                    with contextlib.suppress(nats.errors.Error, TimeoutError):
                        floor = (await subscription.consumer_info()).ack_floor
                        if floor is not None:
                            self.shared.forget_acknowledged(floor.stream_seq)
                    forget_at = time.monotonic() + LEDGER_SECONDS
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()
        finally:
            self.shared.close()
            await client.close()

    def store(self, messages: list[Msg]) -> None:
        """Store the batches of ``messages`` the lake does not hold yet (durably)."""
        chunk: dict[str, SpooledBatch] = {}
        for message in messages:
            sequence = message.metadata.sequence.stream
            try:
                batch = decode(message.data)
            except ValueError as exc:
                log.error("message %d on %s skipped: %s", sequence, message.subject, exc)
                self.counts.unreadable += 1
                continue
            batch_id = (message.headers or {}).get(MSG_ID) or f"seq:{sequence}"
            # Event ids must be the same however often the batch is delivered.
            batch.key = batch.key or f"nats:{batch_id}"
            chunk[batch_id] = SpooledBatch(sequence, sequence + 1, batch)
        fresh = {i: b for i, b in chunk.items() if i not in self.shared.stored}
        parsed = self._parse(list(fresh.values())) if fresh else None
        with self.shared.locked():
            # Another writer may have stored one meanwhile (delivered again after a
            # lost acknowledgement while this writer was parsing it).
            again = [i for i in fresh if i in self.shared.stored]
            if again:
                fresh = {i: b for i, b in fresh.items() if i not in again}
                parsed = self._parse(list(fresh.values())) if fresh else None
            if parsed is not None:
                table, rejected = parsed
                sequences = {i: spooled.position for i, spooled in fresh.items()}
                commit = self.shared.commit(sequences, table, rejected)
                self.counts.events += commit.events
                self.counts.quarantined += commit.quarantined
        self.counts.batches += len(fresh)
        self.counts.duplicates += len(chunk) - len(fresh)

    def _parse(self, batches: list[SpooledBatch]) -> Parsed:
        """``parse_batches``; the start of a record too large for NATS is quarantined."""
        whole = [b for b in batches if not b.batch.format.startswith(OVERSIZED)]
        table, rejected = parse_batches(whole, self.limits)
        for spooled in batches:
            if spooled.batch.format.startswith(OVERSIZED):
                size = spooled.batch.format.rpartition(":")[2]
                kept = len(spooled.batch.records[0])
                reason = ValueError(
                    f"record of {size} bytes is larger than the NATS server's max_payload; "
                    f"its first {kept} bytes are kept"
                )
                rejected.extend(whole_batch_rejected(spooled, reason))
        return table, rejected

    def upkeep(self) -> None:
        settings = self.settings
        try:
            self.shared.try_upkeep(
                datetime.now(UTC),
                min_files=settings.compact_min_files,
                memory_mb=settings.compact_memory_mb,
                retention_days=settings.retention_days,
                retention_by_ward=dict(settings.retention_days_by_ward),
            )
        except Exception:  # the lake stays readable; try again next round
            log.exception("lake upkeep failed")
