"""EVTX files read with the Rust-based ``evtx`` package, record by record — the one EVTX
reading loop (ingest, ``rengo soc detect --evtx``, tests and benchmarks all use it).

Each record comes out as its JSON rendering (the same shape ``parse_windows_json``
reads), so that an EVTX record travels through the spool and the quarantine as text.

A damaged file is read for what it still holds, and what it lost is said record by
record: the package skips a chunk that is cut short without a word, so a file whose
chunks are not whole is padded to whole chunks (in memory) before it is read, and the
records every chunk header declares are compared with those read. Each missing record
comes out with the reason instead of its JSON, so that callers quarantine it (ingest)
or count it; never does a damaged file read as a shorter, intact one.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import evtx

FILE_HEADER = 4096
CHUNK = 65536
CHUNK_HEADER = struct.Struct("<8sQQQQ")
"""magic, first and last record number, first and last record id."""


@dataclass(frozen=True, slots=True)
class EvtxRecord:
    number: int
    """Position of the record in the file (1-based), for error locations."""
    text: str | None
    """The record's JSON rendering; ``None`` when it could not be read (see ``error``)."""
    error: str | None = None

    @property
    def json(self) -> bytes | None:
        return self.text.encode() if self.text is not None else None


def _declared(data: bytes, size: int) -> tuple[list[int], int]:
    """(record ids the chunk headers present declare, chunks the file header declares)."""
    ids: list[int] = []
    chunks = struct.unpack_from("<H", data, 42)[0] if len(data) >= 44 else 0
    for offset in range(FILE_HEADER, size, CHUNK):
        if offset + CHUNK_HEADER.size > len(data):
            break
        magic, _first_n, _last_n, first_id, last_id = CHUNK_HEADER.unpack_from(data, offset)
        if magic == b"ElfChnk\x00" and first_id <= last_id <= first_id + CHUNK:
            ids.extend(range(first_id, last_id + 1))
    return ids, chunks


def _source(path: Path) -> tuple[str | io.BytesIO, bytes, int]:
    """What the package reads (the path, or the file padded to whole chunks), the bytes
    holding the headers, and the file's size."""
    size = path.stat().st_size
    whole = size >= FILE_HEADER and (size - FILE_HEADER) % CHUNK == 0
    if whole:
        with open(path, "rb") as handle:
            headers = bytearray(handle.read(FILE_HEADER))
            for offset in range(FILE_HEADER, size, CHUNK):
                handle.seek(offset)
                headers += bytes(offset - len(headers)) + handle.read(CHUNK_HEADER.size)
        return str(path), bytes(headers), size
    data = path.read_bytes()
    chunks = max(1, -(-(len(data) - FILE_HEADER) // CHUNK))
    padded = data.ljust(FILE_HEADER + chunks * CHUNK, b"\0")
    return io.BytesIO(padded), data, size


def read_evtx(path: Path) -> Iterator[EvtxRecord]:
    """Every record of ``path``; a record that cannot be decoded, or that the file's
    chunk headers declare and the file no longer holds, comes with the reason."""
    path = Path(path)
    try:
        source, headers, size = _source(path)
        records = evtx.PyEvtxParser(source).records_json()
    except (OSError, RuntimeError) as exc:
        yield EvtxRecord(0, None, f"not an EVTX file: {exc}")
        return
    seen: set[int] = set()
    number = 0
    while True:
        number += 1
        try:
            record = next(records)
        except StopIteration:
            break
        except (RuntimeError, OSError) as exc:
            yield EvtxRecord(number, None, f"EVTX record unreadable: {exc}")
            continue
        if isinstance(record, dict):
            seen.add(record["event_record_id"])
            yield EvtxRecord(number, record["data"])
        else:  # the package yields its errors in line with the records
            yield EvtxRecord(number, None, f"EVTX record unreadable: {record}")
    declared, chunks = _declared(headers, size)
    damage = "" if size == FILE_HEADER + chunks * CHUNK else f", file of {size} bytes"
    for record_id in declared:
        if record_id not in seen:
            yield EvtxRecord(number, None, f"EVTX record {record_id} lost{damage}")
            number += 1
    present = max(0, -(-(size - FILE_HEADER) // CHUNK))
    if chunks > present:
        yield EvtxRecord(
            number,
            None,
            f"EVTX chunks {present + 1}-{chunks} of {chunks} missing{damage}: their records "
            "are lost",
        )
