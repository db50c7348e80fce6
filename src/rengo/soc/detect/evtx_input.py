"""EVTX files straight into EVENT_SCHEMA rows, for detection without a lake (like Chainsaw).

Used by ``rengo soc detect --evtx`` and by the tests and benchmarks on SigmaHQ's
regression data and EVTX-ATTACK-SAMPLES. Records go through the ingest side's own
Windows parser (``rengo.soc.parsers.windows``), so that a rule sees the same fields
here as over the lake.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from rengo.soc.lake import events_table
from rengo.soc.parsers.common import ParseError
from rengo.soc.parsers.evtx_file import read_evtx
from rengo.soc.parsers.windows import parse_windows_json


def evtx_events(paths: Iterable[Path], ward: str, origin: str = "real") -> Iterator[dict[str, Any]]:
    """Events of every readable record; unreadable or unparsable records are skipped."""
    for path in paths:
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
        for record in read_evtx(path):
            if record.json is None:
                continue
            try:
                event = parse_windows_json(orjson.loads(record.json))
            except (ParseError, orjson.JSONDecodeError):
                continue
            event.update(
                event_id=f"evtx-{digest}-{record.number}",
                ward=ward,
                origin=origin,
                source=path.name,
                format="evtx",
                raw=record.json.decode("utf-8", errors="replace"),
                unmapped=list((event.get("unmapped") or {}).items()),
            )
            yield event


def evtx_table(paths: Iterable[Path], ward: str = "131016", origin: str = "real") -> pa.Table:
    """All records of ``paths`` as one EVENT_SCHEMA table."""
    return events_table(list(evtx_events(paths, ward, origin)))


def evtx_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() == ".evtx")
