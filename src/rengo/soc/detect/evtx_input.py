"""EVTX files straight into EVENT_SCHEMA rows, for detection without a lake (like Chainsaw).

Used by ``rengo soc detect --evtx`` and by the tests and benchmarks on SigmaHQ's
regression data and EVTX-ATTACK-SAMPLES. Records go through the ingest side's own
Windows parser (``rengo.soc.parsers.windows``), so that a rule sees the same fields
here as over the lake.

Parsing is Python per record (the mapping to OCSF), so a large set of files is split
into parts of about equal size that ``ParallelEngine.evaluate_parts`` reads and
evaluates on every core at once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from rengo.core.types import TenantCode
from rengo.soc.parsers.common import ParseError
from rengo.soc.parsers.evtx_file import read_evtx
from rengo.soc.parsers.windows import parse_windows_json
from rengo.soc.schema import EVENT_SCHEMA

_EVENT_STRUCT = pa.struct(list(EVENT_SCHEMA))


def _records(path: Path) -> Iterator[tuple[int, str]]:
    """(record number, JSON rendering) of each readable record (``read_evtx``, the one
    reading loop: what it cannot read is skipped here, quarantined by ingest)."""
    for record in read_evtx(path):
        if record.text is not None:
            yield record.number, record.text


def evtx_events(
    paths: Iterable[Path], ward: TenantCode, origin: str = "real"
) -> Iterator[dict[str, Any]]:
    """Events of every readable record; unreadable or unparsable records are skipped."""
    for path in paths:
        prefix = "evtx-" + hashlib.sha256(str(path).encode()).hexdigest()[:12] + "-"
        source = Path(path).name
        for number, text in _records(Path(path)):
            try:
                event = parse_windows_json(orjson.loads(text))
            except (ParseError, orjson.JSONDecodeError):
                continue
            # The record's JSON text is kept as is (no bytes round trip); the map as a dict.
            event["event_id"] = prefix + str(number)
            event["ward"], event["origin"], event["source"] = ward, origin, source
            event["format"], event["raw"] = "evtx", text
            yield event


def evtx_table(
    paths: Iterable[Path], ward: TenantCode = "131016", origin: str = "real"
) -> pa.Table:
    """All records of ``paths`` as one EVENT_SCHEMA table."""
    rows = list(evtx_events(paths, ward, origin))
    # One struct array converted in C++, not fifty columns built in Python.
    return pa.Table.from_struct_array(pa.array(rows, type=_EVENT_STRUCT))


def evtx_files(root: Path) -> list[Path]:
    """The ``.evtx`` files under ``root`` (or ``root`` itself), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix.lower() == ".evtx")


def evtx_parts(
    paths: Iterable[Path], parts: int, ward: TenantCode = "131016", origin: str = "real"
) -> list[partial[pa.Table]]:
    """Loaders of ``paths`` split into at most ``parts`` groups of about equal bytes.

    Each loader is picklable (``evtx_table`` over its files), so a worker process can
    read its own part; concatenated in order they give ``evtx_table(paths)``.
    """
    files = list(paths)
    sizes = [os.stat(f).st_size for f in files]
    total = sum(sizes) or 1
    groups: list[list[Path]] = [[] for _ in range(max(1, parts))]
    done = 0
    for path, size in zip(files, sizes, strict=True):
        # Contiguous runs keep the files' order (and so the rows') as evtx_table has it.
        groups[min(len(groups) - 1, done * len(groups) // total)].append(path)
        done += size
    return [partial(evtx_table, group, ward, origin) for group in groups if group]
