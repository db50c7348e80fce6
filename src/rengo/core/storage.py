"""The data directory: one folder holds the state database, the lakes and the files.

<data_dir>/rengo.db          SQLite state (when no database URL is configured)
<data_dir>/lake/<domain>/    Parquet lakes (DuckDB reads them in-process)
<data_dir>/spool/<domain>/   write-ahead spools of accepted but not yet stored data
<data_dir>/files/<domain>/   uploaded files (evidence, imports)
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
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
def temporary_in(folder: Path, name: str = "write") -> Iterator[Path]:
    """A temporary path in ``folder`` (which ``move_into_place`` can rename within it),
    removed on leaving unless it was moved into place meanwhile."""
    tmp = folder / f".{name}.{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}.tmp"
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def move_into_place(
    tmp: Path, path: Path, *, sync_file: bool = True, sync_folder: bool = True
) -> None:
    """The end of every atomic write: ``tmp``, written in ``path``'s folder, has its
    content synced and replaces ``path`` in one rename, and the folder is synced, so that
    a crash leaves either the old or the new ``path``.

    Called directly by writers that name their output only once it is written (a
    content-addressed file, a merged file named by its highest sequence) or that record
    the swap in a journal first; all others use ``atomic_path``. A directory replaces a
    directory too (the old one is renamed aside, then removed once the swap is durable).
    """
    if sync_file:
        fsync_file(tmp)
    old = None
    if tmp.is_dir() and path.is_dir():
        old = path.with_name(f".old-{path.name}-{uuid.uuid4().hex[:8]}")
        os.replace(path, old)
    os.replace(tmp, path)
    if sync_folder or old is not None:
        fsync_directory(path.parent)
    if old is not None:
        shutil.rmtree(old)


@contextmanager
def atomic_path(path: Path, *, sync_folder: bool = True, sync_file: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that creates the file itself (DuckDB's
    COPY, pyarrow): on a clean exit its content is synced and it replaces ``path``, so that a
    crash leaves either the old or the new file; on an error it is removed.

    ``sync_folder=False`` leaves the folder's sync to the caller (one for many files);
    ``sync_file=False`` leaves the content's too (the SOC lake syncs a large commit's files
    with one ``syncfs`` before it records the commit).
    """
    with temporary_in(path.parent, path.name) as tmp:
        yield tmp
        move_into_place(tmp, path, sync_file=sync_file, sync_folder=sync_folder)


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
