"""Several lake writers on one lake (``rengo soc writer`` processes, on one host or on
hosts sharing the lake's file system).

The embedded lake writer owns the lake alone (``writer.lock``, exclusive). Writers fed
by NATS hold that lock shared, so neither kind runs beside the other, and serialise only
the commit itself on ``commit.lock``: parsing, the costly part, runs in parallel. Under
the lock a writer

- repairs a commit that a writer killed inside it left behind (``commit.pending`` names
  its sequence: its files and its log line above the head are removed),
- reads the commit log's new lines into its ledger of stored batch ids, and refuses
  batches already stored (NATS delivers a batch again when its acknowledgement was lost:
  a writer killed between the commit and the ack),
- takes the next sequence (head + 1), writes the files, the log line with the batch ids,
  then the head, as the embedded writer does.

So two writers never write the same file name, every file is committed once, and a
batch is stored once. Compaction and retention run in one writer at a time
(``upkeep.lock``), the one that finishes an interrupted compaction first.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

import orjson
import pyarrow as pa

from rengo.core.storage import write_atomically
from rengo.soc.lake import Commit, Lake
from rengo.soc.maintenance import apply_retention, compact
from rengo.soc.recovery import recover

PENDING = "commit.pending"


class LakeBusy(RuntimeError):
    """The embedded lake writer (``rengo serve`` without NATS) owns this lake."""


class SharedLake:
    """One writer process's handle on a lake that other writer processes write too."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.stored: dict[str, int] = {}
        """Ids of the batches the lake holds (as of the last commit or ``refresh``), with
        their stream sequences; those at or below the consumer's ack floor are forgotten
        (``forget_acknowledged``): NATS never delivers them again."""
        self._floor = 0
        self._log_at = (0, 0)  # (inode, bytes read) of the commit log
        self._share: IO[bytes] | None = None
        self._upkeep_started = False

    def open(self) -> None:
        handle = open(self.lake.root / "writer.lock", "a+b")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LakeBusy(
                f"the embedded lake writer owns {self.lake.root}; stop it (rengo serve "
                "without soc.nats_url) before running rengo soc writer"
            ) from None
        self._share = handle
        with self.locked():
            pass

    def close(self) -> None:
        if self._share is not None:
            fcntl.flock(self._share, fcntl.LOCK_UN)
            self._share.close()
            self._share = None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the commit lock, with the lake repaired and the ledger read."""
        with open(self.lake.root / "commit.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._repair()
                self._refresh()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _repair(self) -> None:
        pending = self.lake.root / PENDING
        try:
            seq = int(pending.read_bytes() or 0)
        except FileNotFoundError:
            return
        head = self.lake.head()
        if seq > head:  # its writer died inside the commit: nothing of it counts
            name = f"p-{seq:020d}-0.parquet"
            for folder in (self.lake.events_dir, self.lake.quarantine_dir):
                for path in folder.rglob(f"*{name}*"):
                    path.unlink(missing_ok=True)
            try:
                lines = self.lake.log_file.read_bytes().splitlines(keepends=True)
            except FileNotFoundError:
                lines = []
            kept = [line for line in lines if _seq(line) <= head]
            if len(kept) != len(lines):
                write_atomically(self.lake.log_file, b"".join(kept))
        pending.unlink()

    def _refresh(self) -> None:
        """Read the commit log's lines not read yet (all of it when it was rewritten)."""
        try:
            stat = self.lake.log_file.stat()
        except FileNotFoundError:
            return
        inode, done = self._log_at
        if inode != stat.st_ino or stat.st_size < done:
            self.stored.clear()
            done = 0
        with open(self.lake.log_file, "rb") as handle:
            handle.seek(done)
            data = handle.read()
        whole = data[: data.rfind(b"\n") + 1]
        for line in whole.splitlines():
            if line.strip():
                entry = orjson.loads(line)
                ids, sequences = entry.get("batches", ()), entry.get("sequences", ())
                for batch_id, sequence in zip(ids, sequences, strict=True):
                    if sequence > self._floor:
                        self.stored[batch_id] = sequence
        self._log_at = (stat.st_ino, done + len(whole))

    def commit(
        self, batches: dict[str, int], table: pa.Table, rejected: list[dict[str, Any]]
    ) -> Commit:
        """Store the chunk holding ``batches`` (id: stream sequence), none of which the
        lake holds (the caller checks ``stored`` under ``locked``)."""
        seq = self.lake.head() + 1
        write_atomically(self.lake.root / PENDING, str(seq).encode(), sync_folder=False)
        ledger: dict[str, list[Any]] = {
            "batches": list(batches),
            "sequences": list(batches.values()),
        }
        commit = self.lake.commit(seq, table, rejected, ledger=ledger)
        (self.lake.root / PENDING).unlink()
        self.stored.update(batches)
        return commit

    def forget_acknowledged(self, floor: int) -> None:
        """Drop the ids of batches at or below stream sequence ``floor`` (the durable
        consumer's ack floor: every one of them is acknowledged, none comes again)."""
        self._floor = max(self._floor, floor)
        self.stored = {i: s for i, s in self.stored.items() if s > self._floor}

    def try_upkeep(
        self,
        now: datetime,
        *,
        min_files: int,
        memory_mb: int,
        retention_days: int,
        retention_by_ward: dict[str, int],
    ) -> bool:
        """Compact and apply retention unless another writer is doing it; ``True`` if done."""
        with open(self.lake.root / "upkeep.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            try:
                if not self._upkeep_started:
                    with self.locked():  # nobody commits or compacts: recover wholly
                        recover(self.lake)
                    self._upkeep_started = True
                compact(self.lake, min_files=min_files, today=now.date(), memory_mb=memory_mb)
                with self.locked():
                    apply_retention(self.lake, now, retention_days, retention_by_ward)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def _seq(line: bytes) -> int:
    if not line.strip():
        return 0
    try:
        return int(orjson.loads(line)["seq"])
    except (orjson.JSONDecodeError, KeyError, ValueError):
        return 1 << 62  # a torn line: above any head
