"""The FOCUS cost lake: Parquet files under ``<data>/lake/finops/costs``, read with DuckDB.

One partition per billing month and billing account of a provider::

    costs/billing_month=2025-04/account_key=aws-3f2a9c1d0e/data_0.parquet

Ingesting rows of a (month, account) replaces that partition whole, so that a restated
month never counts twice; a partition is written beside the old one and swapped in by
renames. Rows that could not be read are kept under ``quarantine/``.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rengo.core.sql import literal, literal_list
from rengo.core.storage import DataDir, atomic_path, fsync_directory, move_into_place
from rengo.finops import focus
from rengo.finops.rollup import ROLLUP_FILE, write_rollup

DOMAIN = "finops"
_write_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Lake:
    root: Path

    @classmethod
    def of(cls, data_dir: DataDir) -> Lake:
        return cls(data_dir.lake(DOMAIN))

    @property
    def costs(self) -> Path:
        return self.root / "costs"

    @property
    def quarantine(self) -> Path:
        path = self.root / "quarantine"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def files(self) -> list[Path]:
        """``billing_month=*/account_key=*/data_*.parquet``, sorted (``os.scandir``: every
        page asks for the lake's version, and ``Path.glob`` took 40 ms over 120 partitions)."""
        out: list[Path] = []
        for month in _entries(self.costs, "billing_month="):
            for key in _entries(month, "account_key="):
                with os.scandir(key) as found:
                    out += [
                        Path(f.path)
                        for f in found
                        if f.name.startswith("data_") and f.name.endswith(".parquet")
                    ]
        return sorted(out)

    def rollup_files(self) -> list[tuple[Path, bool]]:
        """Each partition's daily rollup, or its data file where no rollup exists (False)."""
        out = []
        for file in self.files():
            rollup = file.parent / ROLLUP_FILE
            out.append((rollup, True) if rollup.is_file() else (file, False))
        return out

    def is_empty(self) -> bool:
        return not self.files()

    def partitions(self) -> list[tuple[str, str]]:
        out = []
        for month_dir in sorted(self.costs.glob("billing_month=*")) if self.costs.is_dir() else []:
            for key_dir in sorted(month_dir.glob("account_key=*")):
                out.append((month_dir.name.split("=", 1)[1], key_dir.name.split("=", 1)[1]))
        return out

    def version(self) -> str:
        """Changes whenever a partition is written (cache key for derived figures)."""
        files = self.files()
        rollups = [r for r in (f.parent / ROLLUP_FILE for f in files) if r.is_file()]
        newest = max((f.stat().st_mtime_ns for f in [*files, *rollups]), default=0)
        return f"{len(files)}:{len(rollups)}:{newest}"

    def relation_sql(self, months: tuple[str, str] | None = None) -> str:
        """SQL of the lake as one relation, optionally limited to a range of billing months."""
        files = self.files()
        if months is not None:
            low, high = months
            files = [f for f in files if low <= f.parent.parent.name.split("=", 1)[1] <= high]
        if not files:
            return empty_relation_sql()
        listing = literal_list(files)
        return f"read_parquet([{listing}], hive_partitioning = true, union_by_name = true)"

    def replace_partitions(self, staging: Path) -> list[tuple[str, str]]:
        """Move every partition found in ``staging`` (its files already synced) into the
        lake, replacing what was there; each swap is synced before the next."""
        replaced = []
        with _write_lock:
            for month_dir in sorted(staging.glob("billing_month=*")):
                target_month = self.costs / month_dir.name
                if not target_month.is_dir():
                    new_costs = not self.costs.is_dir()
                    target_month.mkdir(parents=True, exist_ok=True)
                    fsync_directory(self.costs)
                    if new_costs:
                        fsync_directory(self.root)
                for key_dir in sorted(month_dir.glob("account_key=*")):
                    move_into_place(key_dir, target_month / key_dir.name, sync_file=False)
                    replaced.append(
                        (month_dir.name.split("=", 1)[1], key_dir.name.split("=", 1)[1])
                    )
        shutil.rmtree(staging, ignore_errors=True)
        return replaced

    def staging_dir(self) -> Path:
        path = self.root / f".staging-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def rewrite(self, con: duckdb.DuckDBPyConnection, make_select: Callable[[str], str]) -> int:
        """Rewrite every partition through ``make_select(relation of the partition's file)``."""
        count = 0
        with _write_lock:
            for file in self.files():
                src = f"read_parquet({literal(file)})"
                with atomic_path(file, sync_folder=False) as tmp:
                    con.execute(
                        f"COPY ({make_select(src)}) TO {literal(tmp)} "
                        "(FORMAT parquet, COMPRESSION zstd)"
                    ).fetchall()
                write_rollup(con, file, file.parent.parent.name.split("=", 1)[1])
                fsync_directory(file.parent)
                count += 1
        return count


def empty_relation_sql() -> str:
    """An empty relation with the lake's columns (so that queries over no data still work)."""
    cols = [f"CAST(NULL AS {c.sql_type}) AS {c.name}" for c in focus.columns()]
    cols += [f"CAST(NULL AS {t}) AS {n}" for n, t in focus.LAKE_EXTRA_COLUMNS]
    cols += ["CAST(NULL AS VARCHAR) AS billing_month", "CAST(NULL AS VARCHAR) AS account_key"]
    return f"(SELECT {', '.join(cols)} WHERE false)"


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB database set to UTC (all lake timestamps are UTC).

    Its working tables and views are plain (not TEMP) ones: nothing else sees this
    database, and its cursors — which the ingest writes partitions on in parallel — do."""
    con = duckdb.connect(config={"threads": threads or min(2, os.cpu_count() or 1)})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_object_cache = true")
    # Row order within the lake carries no meaning: let writes and scans run in parallel.
    con.execute("SET preserve_insertion_order = false")
    return con


@contextmanager
def connection(threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(threads)
    try:
        yield con
    finally:
        con.close()


def _entries(folder: Path | str, prefix: str) -> list[str]:
    """Sub-folders of ``folder`` whose names start with ``prefix`` (none if it is absent)."""
    try:
        with os.scandir(folder) as found:
            return [e.path for e in found if e.name.startswith(prefix) and e.is_dir()]
    except FileNotFoundError:
        return []
