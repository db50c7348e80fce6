"""The data directory: one folder holds the state database, the lakes and the files.

<data_dir>/rengo.db          SQLite state (when no database URL is configured)
<data_dir>/lake/<domain>/    Parquet lakes (DuckDB reads them in-process)
<data_dir>/spool/<domain>/   write-ahead spools of accepted but not yet stored data
<data_dir>/files/<domain>/   uploaded files (evidence, imports)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class DataDir:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()

    def ensure(self) -> DataDir:
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def _sub(self, kind: str, domain: str) -> Path:
        path = self.root / kind / domain
        path.mkdir(parents=True, exist_ok=True)
        return path

    def lake(self, domain: str) -> Path:
        return self._sub("lake", domain)

    def spool(self, domain: str) -> Path:
        return self._sub("spool", domain)

    def files(self, domain: str) -> Path:
        return self._sub("files", domain)


def fsync_file(path: Path) -> None:
    """Make what was written to ``path`` durable: a file's content (for files another
    library wrote and closed, e.g. DuckDB's COPY, which does not sync), a folder's entries."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (POSIX needs the directory synced)."""
    fsync_file(path)


@contextmanager
def atomic_path(path: Path, *, sync_folder: bool = True, sync_file: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that creates the file itself (DuckDB's
    COPY, pyarrow): on a clean exit its content is synced and it replaces ``path``, so that a
    crash leaves either the old or the new file; on an error it is removed.

    ``sync_folder=False`` leaves the folder's sync to the caller (one for many files);
    ``sync_file=False`` leaves the content's too (the SOC lake syncs a large commit's files
    with one ``syncfs`` before it records the commit).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        yield tmp
        if sync_file:
            fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync_folder:
        fsync_directory(path.parent)


@contextmanager
def open_atomically(path: Path, *, sync_folder: bool = True) -> Iterator[BinaryIO]:
    """``atomic_path`` for content streamed through a binary file handle."""
    with atomic_path(path, sync_folder=sync_folder) as tmp, open(tmp, "wb") as handle:
        yield handle


def write_atomically(path: Path, data: bytes, *, sync_folder: bool = True) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old or the new file."""
    with open_atomically(path, sync_folder=sync_folder) as handle:
        handle.write(data)


def create_exclusively(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Create ``path`` with ``data`` and ``mode`` unless it exists; False when it did.

    The file appears whole or not at all (written aside, then hard-linked into place, which
    fails when another process created it first), so two processes starting at once agree
    on one content — the one that won.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    fsync_directory(path.parent)
    return True
