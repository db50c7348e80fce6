"""Recovery of the lake after a crash: what a commit or a compaction left half-done.

A commit writes its files, then ``commits.log``, then ``head.json``; files of a commit
above the head, temporary files and log lines above the head are what a crash leaves,
and are removed. A compaction interrupted between writing its output and removing its
inputs is finished from its journal (``maintenance.finish_interrupted_compaction``).
The lake writer runs this when it takes the lock, before it drains the spool again from
the head. Kept apart from ``lake.py`` so that the lake does not import compaction, which
builds on it.
"""

from __future__ import annotations

import orjson

from rengo.core.storage import write_atomically
from rengo.soc.lake import Lake
from rengo.soc.lake_files import seq_of
from rengo.soc.maintenance import finish_interrupted_compaction


def recover(lake: Lake) -> int:
    """Remove what a crash left behind a commit; return the number of files removed."""
    head = lake.head()
    removed = 0
    for folder in (lake.events_dir, lake.quarantine_dir):
        for path in folder.rglob("*"):
            if path.name.startswith(".") and ".tmp" in path.name:
                path.unlink(missing_ok=True)
                removed += 1
            elif path.suffix == ".parquet" and (seq := seq_of(path)) is not None and seq > head:
                path.unlink()
                removed += 1
    try:
        lines = lake.log_file.read_bytes().splitlines()
    except FileNotFoundError:
        lines = []
    kept = [line for line in lines if line.strip() and orjson.loads(line)["seq"] <= head]
    if len(kept) != len([line for line in lines if line.strip()]):
        write_atomically(lake.log_file, b"".join(line + b"\n" for line in kept))
    finish_interrupted_compaction(lake)
    return removed
