"""Ingest of files and folders (``rengo soc ingest``): EVTX, text logs, JSON, ``.gz``.

Each file is read in batches of a few thousand records, which are spooled like any
other input; the key of a batch is the file's SHA-256, so the events of a file get the
same ids however often it is read. A file already ingested for the ward from the same
place is skipped (unless forced), so that running the same command twice stores
nothing twice. Batches of small files are spooled together (one fsync for many files),
and a file enters the manifest only once all its batches are durable.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rengo.core.types import TenantCode
from rengo.soc.parsers import UNREADABLE
from rengo.soc.parsers.evtx_file import read_evtx
from rengo.soc.service import SocStore
from rengo.soc.spool import Batch

BATCH_RECORDS = 5000
BATCH_BYTES = 4 << 20

MANIFEST = "ingested_files.log"


@dataclass
class FileReport:
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    records: int = 0
    end_position: int = 0
    damaged: dict[str, list[str]] = field(default_factory=dict)
    """Per file, the records it lost (quarantined with these reasons); such a file is
    not marked ingested."""


def find_files(paths: list[Path]) -> list[Path]:
    """The files named, and every file under the folders named (recursively), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_evtx(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(8) == b"ElfFile\x00"


def _records(path: Path, damage: list[str]) -> Iterator[tuple[bytes, int]]:
    """(record, bytes of the file consumed) in file order; what a damaged EVTX file lost
    goes to ``damage`` (and on as a record the parser quarantines with the reason)."""
    if _is_evtx(path):
        size = path.stat().st_size
        for record in read_evtx(path):
            body = record.json
            if body is None:
                damage.append(f"record {record.number}: {record.error}")
                body = UNREADABLE + (record.error or "").encode()
            yield body, len(body) if size else 0
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        for line in handle:
            yield line.rstrip(b"\r\n"), len(line)


def ingest_files(
    store: SocStore,
    ward: TenantCode,
    paths: list[Path],
    *,
    fmt: str = "auto",
    origin: str = "real",
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    """Spool every record of ``paths`` for ``ward``; ``progress`` gets bytes read."""
    report = FileReport()
    manifest = store.lake.root / MANIFEST
    seen = set(manifest.read_text().split()) if manifest.exists() else set()
    roots = [p for p in paths if p.is_dir()]
    outbox = _Outbox(store, manifest)
    for path in find_files(paths):
        size = path.stat().st_size
        digest = _digest(path)
        root = next((r for r in roots if path.is_relative_to(r)), None)
        source = f"file:{path.relative_to(root.parent) if root else path}"
        entry = f"{ward}:{digest}:{source}".replace(" ", "%20")
        if entry in seen and not force:
            report.skipped.append(str(path))
            if progress:
                progress(size)
            continue
        file_format = "evtx" if _is_evtx(path) else fmt
        damage: list[str] = []
        report.records += _spool_file(
            outbox,
            Batch(ward, source, file_format, [], origin=origin, key=f"sha256:{digest}"),
            path,
            size,
            progress,
            damage,
        )
        if damage:  # not every byte accounted for: the file may be ingested again whole
            report.damaged[str(path)] = damage
        else:
            outbox.done(entry)
        report.files += 1
    outbox.flush()
    report.end_position = store.spool.end()
    return report


@dataclass
class _Outbox:
    """Batches waiting to be spooled together, and the files they complete."""

    store: SocStore
    manifest: Path
    batches: list[Batch] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    size: int = 0

    def send(self, batch: Batch) -> None:
        self.batches.append(batch)
        self.size += sum(len(r) for r in batch.records)
        if self.size >= BATCH_BYTES or len(self.batches) >= 64:
            self.flush()

    def done(self, entry: str) -> None:
        self.entries.append(entry)
        if not self.batches:
            self.flush()

    def flush(self) -> None:
        if self.batches:
            self.store.accept(self.batches, wait_seconds=600.0)
            self.batches, self.size = [], 0
        if self.entries:  # only now are these files' batches all durable
            with open(self.manifest, "a") as handle:
                handle.write("".join(f"{entry}\n" for entry in self.entries))
                handle.flush()
                os.fsync(handle.fileno())
            self.entries = []


def _spool_file(
    outbox: _Outbox,
    template: Batch,
    path: Path,
    size: int,
    progress: Callable[[int], None] | None,
    damage: list[str],
) -> int:
    """Spool ``path`` as batches shaped like ``template``; returns the records spooled.

    Each batch is a run of consecutive lines so that quarantined records keep their
    line numbers.
    """
    records: list[bytes] = []
    spooled = batch_bytes = consumed = number = 0
    first = 1
    evtx = template.format == "evtx"

    def flush() -> None:
        nonlocal spooled
        if records:
            batch = dataclasses.replace(
                template, records=list(records), first_number=first, received=datetime.now(UTC)
            )
            outbox.send(batch)
            spooled += len(records)
            records.clear()

    for record, length in _records(path, damage):
        number += 1
        if not record.strip():
            continue  # blank lines are no records, but keep line numbers right
        if not records:
            first = number
        elif number != first + len(records):
            flush()
            first = number
        records.append(record)
        batch_bytes += len(record)
        consumed += length
        if len(records) >= BATCH_RECORDS or batch_bytes >= BATCH_BYTES:
            flush()
            batch_bytes = 0
            if progress and not evtx:
                progress(consumed)
                consumed = 0
    flush()
    if progress:
        progress(size if evtx else consumed)
    return spooled
