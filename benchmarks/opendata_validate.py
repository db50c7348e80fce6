"""Validation throughput on a large 公共施設一覧 CSV (issue 13: ≥ 50,000 rows/s on 1,000,000).

    PYTHONPATH=src .venv/bin/python benchmarks/opendata_validate.py --rows 1000000

Writes a cp932 CSV in the standard column layout (about one row in 1,000 carrying a
mistake: wrong check digit, swapped coordinates, bad phone number), then times reading
(encoding detection and transcoding included) plus every check, as
``rengo opendata validate`` runs them. Prints rows/s, the CPU time (which the machine's load
does not inflate), the peak RSS and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from rengo.opendata.settings import OpendataSettings
from rengo.opendata.standards import standard_type
from rengo.opendata.validate import validate_file


def write(path: Path, rows: int) -> None:
    columns = [f.name for f in standard_type("public_facility").fields]
    row = dict.fromkeys(columns, "")
    with path.open("w", encoding="cp932", newline="") as out:
        out.write(",".join(columns) + "\r\n")
        for i in range(rows):
            mistake = i % 1000 == 999
            row.update(
                {
                    "全国地方公共団体コード": "131017" if mistake and i % 3 == 0 else "131016",
                    "ID": str(i),
                    "地方公共団体名": "千代田区",
                    "名称": f"区立施設{i}",
                    "名称_カナ": "クリツシセツ",
                    "所在地_連結表記": "東京都千代田区九段南1-2-1",
                    "緯度": f"35.6{i % 9000:04d}",
                    "経度": f"139.7{i % 9000:04d}",
                    "電話番号": "03-3264-2111" if not (mistake and i % 3 == 1) else "3264",
                    "開始時間": "9:00",
                    "終了時間": "17:00",
                    "URL": "https://www.city.chiyoda.lg.jp/",
                }
            )
            if mistake and i % 3 == 2:
                row["緯度"], row["経度"] = row["経度"], row["緯度"]
            out.write(",".join(row[c] for c in columns) + "\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "koukyou.csv"
        write(path, args.rows)
        size = path.stat().st_size
        started, cpu = time.perf_counter(), time.process_time()
        _loaded, report = validate_file(
            path, standard_type("public_facility"), OpendataSettings(), "131016"
        )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"{report.rows:,} rows ({size / 1e6:.0f} MB, {report.encoding}), "
        f"{report.error_count:,} problems"
    )
    print(f"validated in {seconds:.2f} s = {report.rows / seconds:,.0f} rows/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"CPU time {cpu:.2f} s (all threads; {report.rows / cpu:,.0f} rows per CPU second), "
        f"peak RSS {peak:,.0f} MB"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
