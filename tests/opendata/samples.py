"""Sample uploads in a standard layout: rows that pass, and rows with chosen mistakes."""

from __future__ import annotations

import csv
import io
from typing import Any

from rengo.opendata.standards import standard_type

CHIYODA = "131016"


def rows(kind: str = "aed", n: int = 3, ward: str = CHIYODA, **cells: Any) -> list[dict[str, str]]:
    columns = [f.name for f in standard_type(kind).fields]
    out = []
    for i in range(n):
        row = dict.fromkeys(columns, "")
        row.update(
            {
                "全国地方公共団体コード": ward,
                "ID": f"{i + 1:05d}",
                "地方公共団体名": "千代田区",
                "名称": f"区立施設{i + 1}",
                "名称_カナ": f"クリツシセツ{i + 1}",
                "所在地_全国地方公共団体コード": ward,
                "所在地_連結表記": "東京都千代田区九段南1-2-1",
                "緯度": f"35.69{i}",
                "経度": f"139.75{i}",
                "電話番号": "03-3264-2111",
                "開始時間": "9:00",
                "終了時間": "17:00",
                "URL": "https://www.city.chiyoda.lg.jp/",
            }
        )
        if kind == "childcare":
            row["種別"] = "認可保育所"
        if kind == "cultural_property":
            row["文化財分類"] = "区指定有形文化財"
        row.update({k: v for k, v in cells.items() if k in row})
        out.append(row)
    return out


def csv_bytes(table: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table)
    return buffer.getvalue().encode(encoding)
