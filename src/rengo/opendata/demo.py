"""Demo: datasets of all 23 wards in several standard types, published from the register's
public datasets (避難所一覧, AED設置場所一覧, 保育園一覧) where they are 機密性1; and uploads with
deliberate mistakes, kept for ``rengo opendata validate`` to show what it reports."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from sqlalchemy import select

from rengo.assets.models import Asset
from rengo.core.demo import DemoContext, step
from rengo.core.errors import InvalidInput
from rengo.core.permissions import SYSTEM
from rengo.core.storage import write_atomically
from rengo.core.wards import Ward, wards
from rengo.opendata import service
from rengo.opendata.models import Dataset
from rengo.opendata.standards import standard_type

# Approximate position of each ward office (demo rows scatter around it; not survey data).
CENTRES = {
    "131016": (35.694, 139.754),
    "131024": (35.671, 139.772),
    "131032": (35.658, 139.752),
    "131041": (35.694, 139.704),
    "131059": (35.708, 139.752),
    "131067": (35.713, 139.780),
    "131075": (35.711, 139.801),
    "131083": (35.673, 139.817),
    "131091": (35.609, 139.730),
    "131105": (35.641, 139.698),
    "131113": (35.561, 139.716),
    "131121": (35.646, 139.653),
    "131130": (35.664, 139.698),
    "131148": (35.707, 139.664),
    "131156": (35.700, 139.637),
    "131164": (35.726, 139.717),
    "131172": (35.753, 139.734),
    "131181": (35.736, 139.783),
    "131199": (35.751, 139.709),
    "131202": (35.736, 139.652),
    "131211": (35.775, 139.805),
    "131229": (35.743, 139.847),
    "131237": (35.707, 139.868),
}
# (standard type, title, reading, register asset that it publishes, facility noun)
KINDS = (
    ("shelter", "避難所一覧", "ひなんじょいちらん", "避難所一覧", "小学校"),
    (
        "aed",
        "AED設置箇所一覧",
        "えーいーでぃーせっちかしょいちらん",
        "AED設置場所一覧",
        "区民センター",
    ),
    ("childcare", "保育施設一覧", "ほいくしせついちらん", "保育園一覧", "保育園"),
    ("public_facility", "公共施設一覧", "こうきょうしせついちらん", "", "区民会館"),
    ("cultural_property", "文化財一覧", "ぶんかざいいちらん", "", "旧跡"),
    ("tourist_facility", "観光施設一覧", "かんこうしせついちらん", "", "庭園"),
)


def _rows(kind: str, ward: Ward, noun: str, rng: random.Random, n: int) -> list[dict[str, str]]:
    columns = [f.name for f in standard_type(kind).fields]
    lat0, lng0 = CENTRES[ward.code]
    out = []
    for i in range(n):
        row = dict.fromkeys(columns, "")
        lat = lat0 + rng.uniform(-0.012, 0.012)
        lng = lng0 + rng.uniform(-0.012, 0.012)
        row.update(
            {
                "全国地方公共団体コード": ward.code,
                "ID": f"{ward.code}{i + 1:04d}",
                "地方公共団体名": f"東京都{ward.name_ja}",
                "名称": f"{ward.name_ja.removesuffix('区')}第{i + 1}{noun}",
                "名称_カナ": "",
                "所在地_全国地方公共団体コード": ward.code,
                "所在地_連結表記": f"東京都{ward.name_ja}{i + 1}丁目{rng.randint(1, 30)}番",
                "所在地_都道府県": "東京都",
                "所在地_市区町村": ward.name_ja,
                "緯度": f"{lat:.6f}",
                "経度": f"{lng:.6f}",
                "電話番号": f"03-{rng.randint(3000, 6999)}-{rng.randint(1000, 9999)}",
                "開始時間": "9:00",
                "終了時間": "17:00",
                "種別": "認可保育所",
                "文化財分類": "区指定有形文化財",
                "文化財指定日": (
                    f"平成{rng.randint(1, 30)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
                ),
                "想定収容人数": str(rng.randint(200, 1500)),
                "災害種別_地震": "1",
                "URL": f"https://www.city.{ward.slug}.lg.jp/",
            }
        )
        out.append({k: v for k, v in row.items() if k in columns})
    return out


def _with_mistakes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Mistakes wards really make: a wrong check digit, swapped coordinates, a bare phone
    number (or a point outside the wards), an empty name."""
    bad = [dict(r) for r in rows]
    code = bad[0]["全国地方公共団体コード"]
    bad[0]["全国地方公共団体コード"] = code[:5] + str((int(code[5]) + 1) % 10)
    bad[1]["緯度"], bad[1]["経度"] = bad[1]["経度"], bad[1]["緯度"]
    if "電話番号" in bad[2]:
        bad[2]["電話番号"] = bad[2]["電話番号"].replace("-", "")[2:]
    else:
        bad[2]["緯度"] = "34.95"
    bad[3]["名称"] = ""
    return bad


def _csv(rows: list[dict[str, str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@step("opendata", 60, "Datasets of all 23 wards in six standard types; uploads with mistakes")
def demo_opendata(ctx: DemoContext) -> None:
    rng = ctx.rng("opendata")
    published = refused = 0
    errors_dir = ctx.data_dir.files("opendata") / "demo-errors"
    errors_dir.mkdir(parents=True, exist_ok=True)
    for w_index, ward in enumerate(wards()):
        for k_index, (kind, title, kana, asset_name, noun) in enumerate(KINDS):
            if (w_index + k_index) % 2 and k_index >= 3:
                continue  # not every ward publishes every type
            name = f"{ward.slug}-{kind.replace('_', '-')}"
            rows = _rows(kind, ward, noun, rng, rng.randint(8, 30))
            encoding = ("utf-8", "utf-8-sig", "cp932")[(w_index + k_index) % 3]
            if (w_index + k_index) % 7 == 3:
                data = _csv(_with_mistakes(rows), encoding)
                write_atomically(errors_dir / f"{name}.csv", data)
            else:
                data = _csv(rows, encoding)
            with ctx.db.session() as session:
                if session.scalar(select(Dataset.pk).where(Dataset.name == name)):
                    continue
                asset_id = session.scalar(
                    select(Asset.id).where(
                        Asset.tenant == ward.code,
                        Asset.name == asset_name,
                        Asset.confidentiality == 1,
                        Asset.personal_data.is_(False),
                    )
                )
                fields = service.parse_fields(
                    {
                        "name": name,
                        "title": f"{ward.name_ja} {title}",
                        "title_kana": kana,
                        "notes": f"{ward.name_ja}の{title}(自治体標準オープンデータセット準拠)。",
                        "standard_type": kind,
                        "tags": [title.removesuffix("一覧"), ward.name_ja],
                        "frequency": ("monthly", "annual", "quarterly")[k_index % 3],
                        "spatial": f"東京都{ward.name_ja}",
                        "contact": f"{ward.name_ja}役所",
                    }
                )
                age = timedelta(days=rng.randint(1, 500))
                try:
                    service.publish(
                        session,
                        SYSTEM,
                        fields,
                        ctx.settings,
                        ctx.data_dir,
                        ward=ward.code,
                        uploads=[service.Upload(f"{name}.csv", data)],
                        asset_id=asset_id,
                        origin="demo",
                        at=ctx.now - age,
                    )
                    published += 1
                except InvalidInput as error:
                    session.rollback()
                    refused += 1
                    if refused == 1:
                        ctx.report(f"  e.g. {error.message}: {error.problems[0]}")
    ctx.report(
        f"opendata: {published} datasets published, {refused} uploads refused by validation "
        f"(kept in {errors_dir} for `rengo opendata validate`)"
    )
