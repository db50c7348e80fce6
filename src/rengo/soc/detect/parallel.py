"""The engine on several cores: a batch is split by rows, each part evaluated in a process.

The engine is stateless between batches (correlations run afterwards, in the caller's
process), so rows can be evaluated anywhere. A part travels as an Arrow IPC file in a
private ``/dev/shm`` directory (memory-mapped there, not pickled) and only the matched
row numbers come back. The calling process evaluates one part itself.

Workers are forked from a process that has no other threads (the CLI), so they inherit
the engine already built; from a threaded process (``rengo serve``) they are started by
a fork server and build their own engine from the rules.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from rengo.soc.detect.engine import Engine, RuleHits
from rengo.soc.detect.rules import CompiledRule
from rengo.soc.detect.segments import SegmentRanges

MAIN_SHARE = 0.6
"""The calling process evaluates this fraction of an equal share of the rows."""
_SHM = "/dev/shm"  # noqa: S108 - only as the parent of a private mkdtemp directory
SHM_PARENT = _SHM if Path(_SHM).is_dir() else None

Hits = list[tuple[int, np.ndarray]]
_Context = tuple[dict[str, set[str]], SegmentRanges]
"""What may change between batches: rules switched off per ward, the wards' segments."""
_engines: dict[str, Engine] = {}
"""Engines of this process by token; a forked worker finds its parent's here."""
_worker_engine: Engine | None = None


def _init(token: str, rules: list[CompiledRule], cache_dir: Path | None) -> None:
    global _worker_engine
    # Arrow's own thread pool would only compete with the other worker for two cores.
    pa.set_cpu_count(1)
    _worker_engine = _engines.get(token) or Engine(rules, cache_dir=cache_dir)


def _hits(table: pa.Table, context: _Context) -> Hits:
    engine = _worker_engine
    assert engine is not None
    engine.disabled, engine.segments = context
    index_of = {id(rule): i for i, rule in enumerate(engine.rules)}
    return [(index_of[id(hit.rule)], hit.rows) for hit in engine.evaluate(table)]


def _evaluate_file(path: str, context: _Context) -> Hits:
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    return _hits(table, context)


def _write(table: pa.Table, folder: Path) -> str:
    path = str(folder / f"{uuid.uuid4().hex}.arrow")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return path


def _load_and_evaluate(
    load: Callable[[], pa.Table], folder: str, context: _Context
) -> tuple[str | None, Hits]:
    """Read and evaluate a part; ship back only its matched rows (and hits over those)."""
    hits = _hits(table := load(), context)
    if not hits:
        return None, []
    matched = np.unique(np.concatenate([rows for _, rows in hits]))
    path = _write(table.take(pa.array(matched)), Path(folder))
    return path, [(rule, np.searchsorted(matched, rows)) for rule, rows in hits]


def _read(path: str) -> pa.Table:
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    os.unlink(path)  # the mapping stays valid until the table is gone
    return table


def _release(pool: ProcessPoolExecutor | None, spool: Path | None, token: str) -> None:
    """Stop the workers and remove the ``/dev/shm`` folder (on ``close``, collection or exit)."""
    if pool is not None:
        pool.shutdown(cancel_futures=True)
    _engines.pop(token, None)
    if spool is not None:
        shutil.rmtree(spool, ignore_errors=True)


def _context() -> multiprocessing.context.BaseContext:
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")


class ParallelEngine:
    """``Engine.evaluate`` spread over ``workers`` processes (this one included)."""

    def __init__(
        self,
        rules: list[CompiledRule],
        *,
        workers: int,
        disabled: dict[str, set[str]] | None = None,
        min_rows: int = 20_000,
        cache_dir: Path | None = None,
    ) -> None:
        self.min_rows = min_rows
        """Smaller batches are evaluated here alone (shipping them would cost more)."""
        self.local = Engine(rules, disabled=disabled, cache_dir=cache_dir)
        self.rules = self.local.rules
        self._index_of = {id(rule): i for i, rule in enumerate(self.rules)}
        self.workers = max(1, workers)
        self.spool: Path | None = None
        self.pool: ProcessPoolExecutor | None = None
        self._token = uuid.uuid4().hex
        if self.workers > 1:
            self.spool = Path(tempfile.mkdtemp(prefix="rengo-detect-", dir=SHM_PARENT))
            _engines[self._token] = self.local
            context = _context()
            rules_for_workers = [] if context.get_start_method() == "fork" else self.rules
            self.pool = ProcessPoolExecutor(
                self.workers - 1,
                mp_context=context,
                initializer=_init,
                initargs=(self._token, rules_for_workers, cache_dir),
            )
        # An engine nobody closes (a hunt stopped half-way) still leaves nothing behind.
        self._finalizer = weakref.finalize(self, _release, self.pool, self.spool, self._token)

    @property
    def disabled(self) -> dict[str, set[str]]:
        return self.local.disabled

    @disabled.setter
    def disabled(self, value: dict[str, set[str]]) -> None:
        self.local.disabled = value

    @property
    def segments(self) -> SegmentRanges:
        return self.local.segments

    @segments.setter
    def segments(self, value: SegmentRanges) -> None:
        self.local.segments = value

    def _context(self) -> _Context:
        return self.local.disabled, self.local.segments

    def _collect(self, parts: list[tuple[int, Hits]]) -> list[RuleHits]:
        rows_of: dict[int, list[np.ndarray]] = {}
        for start, hits in parts:
            for rule_index, rows in hits:
                rows_of.setdefault(rule_index, []).append(rows + start)
        return [
            RuleHits(self.rules[i], np.concatenate(found)) for i, found in sorted(rows_of.items())
        ]

    def _local_hits(self, table: pa.Table) -> Hits:
        return [(self._index_of[id(h.rule)], h.rows) for h in self.local.evaluate(table)]

    def evaluate(self, table: pa.Table) -> list[RuleHits]:
        if self.pool is None or table.num_rows < self.min_rows * self.workers:
            return self.local.evaluate(table)
        assert self.spool is not None
        # This process also builds detections and runs correlations: give it less.
        main = int(table.num_rows * MAIN_SHARE / self.workers)
        bounds = np.concatenate([[0], np.linspace(main, table.num_rows, self.workers).astype(int)])
        futures: list[tuple[int, str, Future[Hits]]] = []
        for start, end in itertools.pairwise(bounds[1:]):
            path = _write(table.slice(start, end - start), self.spool)
            futures.append(
                (int(start), path, self.pool.submit(_evaluate_file, path, self._context()))
            )
        parts = [(0, self._local_hits(table.slice(0, int(bounds[1]))))]
        for start, path, future in futures:
            try:
                parts.append((start, future.result()))
            finally:
                os.unlink(path)
        return self._collect(parts)

    def evaluate_parts(
        self, loaders: Sequence[Callable[[], pa.Table]]
    ) -> list[tuple[pa.Table, list[RuleHits]]]:
        """Load and evaluate each part where it is (the first here, the others in workers).

        For input that costs about as much to read as to evaluate (EVTX parsed in Python,
        Parquet): a list of (table, hits over it) — for a worker's part, only its matched
        rows travel back, so the table is those rows.
        """
        if self.pool is None or len(loaders) < 2:
            table = pa.concat_tables([load() for load in loaders]).combine_chunks()
            return [(table, self.local.evaluate(table))]
        assert self.spool is not None
        futures = [
            self.pool.submit(_load_and_evaluate, load, str(self.spool), self._context())
            for load in loaders[1:]
        ]
        first = loaders[0]().combine_chunks()
        out = [(first, self.local.evaluate(first))]
        for future in futures:
            path, hits = future.result()
            if path is not None:
                out.append((_read(path), self._collect([(0, hits)])))
        return out

    def close(self) -> None:
        self._finalizer()
        self.pool, self.spool = None, None
