"""CPU per record of the lake writer's parse step and of the ingest edge check.

    python benchmarks/soc_parse_cpu.py

Runs ``pipeline.parse_batches`` over 20 bodies of the 5,000 lines that
``soc_ingest.py --mode http-ndjson`` sends, and ``envelopes.problems`` (the limits the
HTTP edge checks) over the same bodies; best of 5, ``time.process_time``: CPU seconds,
so the figure holds on a busy machine where events/s do not. Compare two versions by
running it alternately with each one's ``src`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import time

from rengo.soc.envelopes import Limits, problems
from rengo.soc.pipeline import parse_batches
from rengo.soc.spool import Batch, SpooledBatch
from soc_ingest import LINES

BODIES = 20


def main() -> None:
    body = b"\n".join(
        (LINES[n % 3] % (n % 250)).split(b" ", 1)[1].join([b'{"message":"', b'"}'])
        for n in range(5000)
    )
    records = BODIES * (body.count(b"\n") + 1)
    batches = [
        SpooledBatch(
            i * 10,
            i * 10 + 5,
            Batch("131016", "http:bench", "auto", [body], content_type="application/x-ndjson"),
        )
        for i in range(BODIES)
    ]
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        table, rejected = parse_batches(batches)
        best = min(best, time.process_time() - start)
    assert table.num_rows + len(rejected) == records
    print(f"parse: {best / records * 1e6:.2f} µs CPU per record")
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(BODIES):
            assert not problems(body, "application/x-ndjson", Limits())
        best = min(best, time.process_time() - start)
    print(f"edge check: {best / records * 1e6:.2f} µs CPU per record")


if __name__ == "__main__":
    main()
