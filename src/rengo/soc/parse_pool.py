"""Parsing spooled batches in worker processes, so the lake writer uses every core.

Parsing is pure Python (one core at most per process); the lake commit stays in the
writer, single and in spool order, so ids, durability and idempotence do not change:
workers only turn batches into an Arrow table and quarantine rows, returned in the
order given. Workers are spawned (never forked: the writer may live in a threaded web
server) on the first chunk big enough to be worth it.
"""

from __future__ import annotations

import multiprocessing
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pyarrow as pa

from rengo.soc.schema import EVENT_SCHEMA
from rengo.soc.spool import SpooledBatch

Parsed = tuple[pa.Table, list[dict[str, Any]]]
"""The events of some batches as a table, and their quarantine rows."""
Parse = Callable[[list[SpooledBatch]], Parsed]


def _parse_for_transfer(parse: Parse, batches: list[SpooledBatch]) -> tuple[bytes, list[Any]]:
    """In a worker: parse, and hand the table back as Arrow IPC bytes (pickling a
    table is several times slower than writing its buffers once)."""
    table, rejected = parse(batches)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes(), rejected


def _received(part: tuple[bytes, list[Any]]) -> Parsed:
    data, rejected = part
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all(), rejected


def combine(parts: list[Parsed]) -> Parsed:
    tables = [table for table, _ in parts if table.num_rows]
    table = pa.concat_tables(tables) if tables else EVENT_SCHEMA.empty_table()
    return table, [row for _, rows in parts for row in rows]


def split_tasks(chunk: list[SpooledBatch], pieces: int) -> list[list[SpooledBatch]]:
    """Consecutive runs of ``chunk`` of about equal bytes, at most ``pieces`` of them."""
    total = sum(s.end - s.position for s in chunk)
    target = max(total // max(pieces, 1), 1)
    tasks: list[list[SpooledBatch]] = [[]]
    size = 0
    for spooled in chunk:
        if size >= target and len(tasks) < pieces:
            tasks.append([])
            size = 0
        tasks[-1].append(spooled)
        size += spooled.end - spooled.position
    return tasks


class ParserPool:
    """``processes`` spawned workers running ``parse`` (a module-level function)."""

    def __init__(self, parse: Parse, processes: int) -> None:
        self.parse = parse
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._finalizer: weakref.finalize | None = None  # type: ignore[type-arg]

    def submit(self, chunk: list[SpooledBatch]) -> Callable[[], Parsed]:
        """Start parsing ``chunk``; the returned function waits for the result."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn")
            )
            # A writer nobody stops (a test, an aborted command) still ends its workers.
            self._finalizer = weakref.finalize(self, _shutdown, self._executor)
        # Twice as many tasks as workers: a slow task does not leave a worker idle.
        futures: list[Future[tuple[bytes, list[Any]]]] = [
            self._executor.submit(_parse_for_transfer, self.parse, task)
            for task in split_tasks(chunk, 2 * self.processes)
        ]
        return lambda: combine([_received(future.result()) for future in futures])

    def close(self) -> None:
        """End the workers (a broken pool too); the next ``submit`` starts new ones."""
        if self._finalizer is not None:
            self._finalizer()
        self._executor = None
        self._finalizer = None


def _shutdown(executor: ProcessPoolExecutor) -> None:
    executor.shutdown(wait=True, cancel_futures=True)
