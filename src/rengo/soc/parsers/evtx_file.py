"""EVTX files read with the Rust-based ``evtx`` package, record by record.

Each record comes out as its JSON rendering (the same shape ``parse_windows_json``
reads), so that an EVTX record travels through the spool and the quarantine as text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import evtx


@dataclass(frozen=True, slots=True)
class EvtxRecord:
    number: int
    """Position of the record in the file (1-based), for error locations."""
    json: bytes | None
    error: str | None = None


def read_evtx(path: Path) -> Iterator[EvtxRecord]:
    """Every record of ``path``; a record the reader cannot decode comes with its error."""
    try:
        parser = evtx.PyEvtxParser(str(path))
    except (OSError, RuntimeError) as exc:
        yield EvtxRecord(0, None, f"not an EVTX file: {exc}")
        return
    records = parser.records_json()
    number = 0
    while True:
        number += 1
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError) as exc:
            yield EvtxRecord(number, None, f"EVTX record unreadable: {exc}")
            continue
        if isinstance(record, dict):
            yield EvtxRecord(number, record["data"].encode())
        else:  # the package yields its errors in line with the records
            yield EvtxRecord(number, None, f"EVTX record unreadable: {record}")
