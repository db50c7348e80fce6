"""``package_search`` latency with 3 facets over N datasets (issue 13: p50 ≤ 5 ms at 10,000,
p95 ≤ 100 ms at 200,000).

    PYTHONPATH=src .venv/bin/python benchmarks/opendata_search.py --datasets 10000
    PYTHONPATH=src .venv/bin/python benchmarks/opendata_search.py --datasets 200000 --backend
    postgresql

Fills a fresh, migrated database with N datasets spread over the 23 wards (titles and tags
drawn from a Japanese vocabulary, one or two resources each, search columns filled as
publishing fills them), then times ``rengo.opendata.search.search`` in-process — the
function behind ``/api/3/action/package_search`` — with facets organization, groups and
res_format, for two-character, longer, kana and filtered queries. Prints p50/p95 and the
load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from rengo.core.db import utcnow
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import wards
from rengo.migrations import upgrade
from rengo.opendata.catalogue import CATEGORIES
from rengo.opendata.models import Dataset, Resource
from rengo.opendata.search import Query, formats_key, search
from rengo.opendata.service import index_fields

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = (
    ("人口統計", "じんこうとうけい"),
    ("保育所一覧", "ほいくしょいちらん"),
    ("防災マップ", "ぼうさいまっぷ"),
    ("避難所一覧", "ひなんじょいちらん"),
    ("AED設置箇所", "えーいーでぃー"),
    ("観光施設", "かんこうしせつ"),
    ("文化財", "ぶんかざい"),
    ("公共施設", "こうきょうしせつ"),
    ("ごみ収集日", "ごみしゅうしゅうび"),
    ("財政状況", "ざいせいじょうきょう"),
    ("子育て支援", "こそだてしえん"),
    ("介護施設", "かいごしせつ"),
    ("駐輪場", "ちゅうりんじょう"),
    ("公園一覧", "こうえんいちらん"),
    ("図書館", "としょかん"),
)
QUERIES = ("人口", "保育", "防災", "ﾎｲｸ", "避難所", "こうえん", "AED", "", "公園 一覧")


def _database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}"
    name = f"rengo_bench_od_{int(time.time())}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _fill(runtime: Runtime, count: int) -> None:
    rng = random.Random(13)
    now = utcnow()
    codes = [w.code for w in wards()]
    categories = list(CATEGORIES)
    batch: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []

    def flush() -> None:
        with runtime.db.session() as session:
            session.execute(insert(Dataset), batch)
            session.execute(insert(Resource), resources)
        batch.clear()
        resources.clear()

    for i in range(count):
        title, kana = rng.choice(WORDS)
        dataset = Dataset(
            id=str(uuid.uuid4()),
            name=f"d{i:07d}",
            tenant=rng.choice(codes),
            title=f"{title} {i}",
            title_kana=kana,
            notes=f"{title}のデータ(第{i}版)",
            license_id="CC-BY-4.0",
            category=rng.choice(categories),
            tags=[title[:2]],
            standard_type="",
            frequency="annual",
            state="active",
            origin="demo",
            version=1,
        )
        index_fields(dataset)
        row = {
            c.name: getattr(dataset, c.name) for c in Dataset.__table__.columns if c.name != "pk"
        }
        row.update(
            created_at=now,
            modified_at=now,
            spatial="",
            temporal_start="",
            temporal_end="",
            contact="",
            harvest_source="",
            harvest_guid="",
            harvest_modified="",
            asset_id=None,
        )
        formats = [rng.choice(("CSV", "XLSX", "PDF")) for _ in range(rng.randint(1, 2))]
        row["res_formats"] = formats_key(formats)
        batch.append(row)
        for position in range(len(formats)):
            resources.append(
                {
                    "id": str(uuid.uuid4()),
                    "dataset_id": dataset.id,
                    "position": position,
                    "name": "r",
                    "description": "",
                    "format": formats[position],
                    "url": "https://example.jp/r",
                    "source_filename": "",
                    "source_encoding": "",
                    "row_count": None,
                    "columns": [],
                    "has_coordinates": 0,
                    "schema_errors": None,
                    "created_at": now,
                    "modified_at": now,
                }
            )
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--database",
        type=Path,
        help="SQLite file kept between runs: filled when missing, reused as it is otherwise "
        "(to time old and new code on the same catalogue)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        kept = args.database is not None and args.database.exists()
        if args.database is not None:
            url = f"sqlite:///{args.database}"
        else:
            url = _database(args.backend, Path(folder))
        if not kept:
            upgrade(url)
        settings = Settings(data_dir=Path(folder), database_url=url, secret_key="x" * 32)
        runtime = Runtime.from_settings(settings)
        if not kept:
            with runtime.db.session() as session:
                sync_tenants(session)
            started = time.perf_counter()
            _fill(runtime, args.datasets)
            print(f"filled {args.datasets:,} datasets in {time.perf_counter() - started:.1f} s")
        if args.backend == "postgresql":
            with runtime.db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        timings: dict[str, list[float]] = {q: [] for q in QUERIES}
        cpu: list[float] = []
        facets = ("organization", "groups", "res_format")
        with runtime.db.session() as session:
            for _round in range(args.rounds):
                for q in QUERIES:
                    filters = {"groups": ["disaster"]} if q == "" else {}
                    began, began_cpu = time.perf_counter(), time.process_time()
                    result = search(
                        session, Query(q=q, filters=filters, rows=10, facet_fields=facets)
                    )
                    timings[q].append((time.perf_counter() - began) * 1000)
                    cpu.append((time.process_time() - began_cpu) * 1000)
                    assert result.count > 0, q
        everything = sorted(t for values in timings.values() for t in values)
        for q, values in timings.items():
            values.sort()
            label = q or "(no q, fq=groups:disaster)"
            print(
                f"  {label:24} p50 {statistics.median(values):7.1f} ms  "
                f"p95 {values[int(len(values) * 0.95) - 1]:7.1f} ms"
            )
        p95 = everything[int(len(everything) * 0.95) - 1]
        print(
            f"all: p50 {statistics.median(everything):.1f} ms, p95 {p95:.1f} ms "
            f"({args.backend}, {args.datasets:,} datasets, 3 facets)"
        )
        cpu.sort()
        print(
            f"CPU time of this process per search: p50 {statistics.median(cpu):.1f} ms, "
            f"p95 {cpu[int(len(cpu) * 0.95) - 1]:.1f} ms (SQLite runs in-process)"
        )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        runtime.close()
        if args.backend == "postgresql" and args.database is None:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                name = url.rsplit("/", 1)[1]
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
