"""The engine on several cores: a batch is split by rows, each part evaluated in a process.

The engine is stateless between batches (correlations run afterwards, in the caller's
process), so rows can be evaluated anywhere. A part travels to its worker as an Arrow
IPC file in ``/dev/shm`` (memory-mapped there, not pickled) and only the matched row
numbers come back. The calling process evaluates one part itself.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa

from rengo.soc.detect.engine import Engine, RuleHits
from rengo.soc.detect.rules import CompiledRule

_worker_engine: Engine | None = None
MAIN_SHARE = 0.6
"""The calling process evaluates this fraction of an equal share of the rows."""
_SHM = "/dev/shm"  # noqa: S108 - only as the parent of a private mkdtemp directory
SHM_PARENT = _SHM if Path(_SHM).is_dir() else None


def _init(rules: list[CompiledRule], disabled: dict[str, set[str]], cache_dir: Path | None) -> None:
    global _worker_engine
    _worker_engine = Engine(rules, disabled=disabled, cache_dir=cache_dir)


def _evaluate_file(path: str) -> list[tuple[int, np.ndarray]]:
    assert _worker_engine is not None
    with pa.memory_map(path) as source:
        table = pa.ipc.open_file(source).read_all()
    index_of = {id(rule): i for i, rule in enumerate(_worker_engine.rules)}
    return [(index_of[id(hit.rule)], hit.rows) for hit in _worker_engine.evaluate(table)]


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
        self.spool = (
            Path(tempfile.mkdtemp(prefix="rengo-detect-", dir=SHM_PARENT))
            if self.workers > 1
            else None
        )
        self.pool = (
            ProcessPoolExecutor(
                self.workers - 1,
                initializer=_init,
                initargs=(self.rules, disabled or {}, cache_dir),
            )
            if self.workers > 1
            else None
        )

    def evaluate(self, table: pa.Table) -> list[RuleHits]:
        if self.pool is None or table.num_rows < self.min_rows * self.workers:
            return self.local.evaluate(table)
        # This process also builds detections and runs correlations: give it less.
        main = int(table.num_rows * MAIN_SHARE / self.workers)
        bounds = np.concatenate([[0], np.linspace(main, table.num_rows, self.workers).astype(int)])
        futures: list[tuple[int, str, Future[list[tuple[int, np.ndarray]]]]] = []
        for start, end in itertools.pairwise(bounds[1:]):
            assert self.spool is not None
            path = str(self.spool / f"{uuid.uuid4().hex}.arrow")
            part = table.slice(start, end - start)
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, part.schema) as writer:
                writer.write_table(part)
            futures.append((int(start), path, self.pool.submit(_evaluate_file, path)))
        rows_of: dict[int, list[np.ndarray]] = {}
        for hit in self.local.evaluate(table.slice(0, int(bounds[1]))):
            rows_of.setdefault(self._index_of[id(hit.rule)], []).append(hit.rows)
        for start, path, future in futures:
            try:
                for rule_index, rows in future.result():
                    rows_of.setdefault(rule_index, []).append(rows + start)
            finally:
                os.unlink(path)
        return [
            RuleHits(self.rules[i], np.concatenate(parts)) for i, parts in sorted(rows_of.items())
        ]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)
            self.spool = None
