"""Child process of the kill -9 test: spools numbered records as fast as it can while
its lake writer stores them, printing the number of the last acknowledged record."""

from __future__ import annotations

import sys
from pathlib import Path

from rengo.core.storage import DataDir
from rengo.soc.service import SocStore
from rengo.soc.settings import SocSettings
from rengo.soc.spool import Batch


def main(data_dir: str, start: int) -> None:
    store = SocStore.open(DataDir(Path(data_dir)), SocSettings(writer_chunk_bytes=64 << 10))
    assert store.start_writer()
    number = start
    while True:
        records = [
            b'{"time":"2026-05-01T00:00:00Z","message":"seq %d"}' % n
            for n in range(number, number + 100)
        ]
        store.spool.append([Batch("131016", "http:crash", "json", records)], wait_seconds=60)
        number += 100
        print(number - 1, flush=True)  # acknowledged: durable in the spool


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
