"""Retro-hunt: 100,000 indicators over 10 million events of 90 days, in the SOC lake layout.

Generates the events with DuckDB straight into ``lake/soc/events/class_uid=…/ward=…/day=…``
(Parquet, EVENT_SCHEMA's columns that matching reads; the partition columns are written
into the files too, as the lake does — it reads them without hive partitioning), stores 100,000
indicators through
the hub's ingest path, then runs one retro-hunt and prints its time, throughput and hits.

    python benchmarks/intel_hunt.py [--events 10000000] [--indicators 100000] [--days 90]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rengo.core.permissions import SYSTEM  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.core.wards import wards  # noqa: E402
from rengo.domains import load_domains  # noqa: E402
from rengo.intel import hunting, indicators  # noqa: E402
from rengo.intel.collections import FEEDS, get_collection  # noqa: E402
from rengo.intel.ingest import ingest  # noqa: E402
from rengo.intel.settings import IntelSettings  # noqa: E402
from rengo.intel.tlp import TLP  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402

HIT_EVERY = 1000
"""One event in this many carries an indicator's value (a realistic, small hit rate)."""


def indicator_value(j: int) -> tuple[str, str]:
    kind = j % 4
    if kind in (0, 1):
        return "ipv4-addr:value", f"45.{(j // 65536) % 256}.{(j // 256) % 256}.{j % 256}"
    if kind == 2:
        return "domain-name:value", f"c2-{j}.bad.example"
    return "url:value", f"http://dl-{j}.bad.example/payload.bin"


def generate_events(
    events_dir: Path, count: int, days: int, now: datetime, indicators_n: int
) -> None:
    codes = [w.code for w in wards()]
    ward_list = "[" + ",".join(f"'{c}'" for c in codes) + "]"
    seconds = days * 86400
    sql = f"""
    COPY (
      SELECT
        'ev-' || i AS event_id,
        TIMESTAMPTZ '{now.isoformat()}' - to_seconds((i * 7919) % {seconds}) - INTERVAL 1 SECOND
        AS time,
        {ward_list}[(i % 23) + 1] AS ward,
        'demo' AS origin,
        [4001, 4002, 4003][(i % 3) + 1]::INTEGER AS class_uid,
        CASE WHEN i % 3 = 0 THEN
          CASE WHEN i % {HIT_EVERY} = 0 THEN '45.' || ((i // {HIT_EVERY} * 4 % {indicators_n}) //
          65536 % 256) || '.' || ((i // {HIT_EVERY} * 4 % {indicators_n}) // 256 % 256) || '.' ||
          ((i // {HIT_EVERY} * 4 % {indicators_n}) % 256)
               ELSE '8.' || (i % 251) || '.' || (i % 241) || '.' || (i % 239) END END AS src_ip,
        CASE WHEN i % 3 = 0 THEN '10.' || (i % 23) || '.' || (i % 250) || '.' || (i % 200) END AS
        dst_ip,
        NULL::VARCHAR AS device_ip,
        CASE WHEN i % 3 = 2 THEN
          CASE WHEN i % {HIT_EVERY} = 2 THEN 'c2-' || ((i // {HIT_EVERY}) * 4 % {indicators_n} +
          2) || '.bad.example'
               ELSE 'www' || (i % 5000) || '.example.com' END END AS dns_query,
        CASE WHEN i % 3 = 1 THEN
          CASE WHEN i % {HIT_EVERY} = 1 THEN 'http://dl-' || ((i // {HIT_EVERY}) * 4 %
          {indicators_n} + 3) || '.bad.example/payload.bin'
               ELSE 'https://site' || (i % 20000) || '.example.org/index.html' END END AS url,
        NULL::VARCHAR AS email_from, NULL::VARCHAR AS email_to, NULL::VARCHAR AS file_hash_md5,
        NULL::VARCHAR AS file_hash_sha1, NULL::VARCHAR AS file_hash_sha256,
        CASE WHEN i % 3 = 1 THEN 'Mozilla/5.0' END AS user_agent,
        strftime(TIMESTAMPTZ '{now.isoformat()}' - to_seconds((i * 7919) % {seconds}) - INTERVAL 1
        SECOND, '%Y-%m-%d') AS day
      FROM range({count}) t(i)
    ) TO '{events_dir}' (FORMAT PARQUET, PARTITION_BY (class_uid, ward, day),
    WRITE_PARTITION_COLUMNS true,
                        COMPRESSION zstd)
    """
    connection = duckdb.connect(config={"threads": 2})
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(sql)
    connection.close()


def stix_indicators(count: int) -> list[dict[str, object]]:
    stamp = "2026-04-01T00:00:00.000Z"
    out = []
    for j in range(count):
        path, value = indicator_value(j)
        out.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid4()}",
                "created": stamp,
                "modified": stamp,
                "name": f"bench {j}",
                "pattern_type": "stix",
                "pattern": f"[{path} = '{value}']",
                "valid_from": stamp,
                "indicator_types": ["malicious-activity"],
                "object_marking_refs": [TLP.GREEN.marking_id],
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--indicators", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keep", type=Path, help="keep the data here (reused if it exists)")
    args = parser.parse_args()
    load_domains()
    reuse = args.keep is not None and (args.keep / "rengo.db").exists()
    work = args.keep or Path(tempfile.mkdtemp(prefix="intel-hunt-"))
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'rengo.db'}"
    upgrade(url)
    settings = Settings(data_dir=work, database_url=url, secret_key="bench")
    settings.section(IntelSettings).feed_scheduler = False
    runtime = Runtime.from_settings(settings)
    with runtime.db.session() as session:
        sync_tenants(session)
    now = datetime.now(UTC).replace(microsecond=0)

    if not reuse:
        started = time.perf_counter()
        events_dir = runtime.data_dir.lake("soc") / "events"
        shutil.rmtree(events_dir, ignore_errors=True)
        generate_events(events_dir, args.events, args.days, now, args.indicators)
        files = sum(1 for _ in events_dir.rglob("*.parquet"))
        print(
            f"generated {args.events:,} events in {files:,} Parquet files "
            f"({time.perf_counter() - started:.1f} s)"
        )

        started = time.perf_counter()
        objects = stix_indicators(args.indicators)
        for start in range(0, len(objects), 5000):
            with runtime.db.session() as session:
                collection = get_collection(session, SYSTEM, FEEDS)
                ingest(
                    session,
                    settings,
                    SYSTEM,
                    collection,
                    objects[start : start + 5000],
                    now=now,
                    source="bench",
                    default_tlp=TLP.GREEN,
                )
        print(f"stored {args.indicators:,} indicators ({time.perf_counter() - started:.1f} s)")

    with runtime.db.session() as session:
        hunt = indicators.queue_hunt(
            session, since=None, days=args.days, reason="benchmark", now=now
        )
        hunt.indicators_since = None
        hunt_id = hunt.id
    started = time.perf_counter()
    result = hunting.run_hunt(runtime.db, settings, runtime.data_dir, hunt_id, now)
    elapsed = time.perf_counter() - started
    assert result.state == "done", result.error
    print(
        f"retro-hunt: {result.indicators:,} indicator values × {result.events:,} events "
        f"of {args.days} days "
        f"in {elapsed:.1f} s ({result.events / elapsed:,.0f} events/s), {result.hits:,} hits"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    runtime.close()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
