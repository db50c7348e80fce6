"""TAXII 2.1 server: ingest rate, page latency and match[id] latency at 100,000 objects.

Stores the MITRE ATT&CK for ICS bundle (../shared/data, when present) plus generated
indicators up to --objects, through the same path as a TAXII POST (validation, TLP,
indicator indexing), then serves the collection over real HTTP (uvicorn on 127.0.0.1)
and measures a page of 100 objects (random positions, ``added_after``) and ``match[id]``.

    python benchmarks/intel_taxii.py [--objects 100000] [--requests 300] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rengo.core.identity import create_token  # noqa: E402
from rengo.core.permissions import SYSTEM  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.domains import load_domains  # noqa: E402
from rengo.intel.collections import FEEDS, get_collection  # noqa: E402
from rengo.intel.demo import shared_data_dir  # noqa: E402
from rengo.intel.ingest import ingest  # noqa: E402
from rengo.intel.settings import IntelSettings  # noqa: E402
from rengo.intel.tlp import TLP  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402

BATCH = 5000


def generated_indicators(count: int, rng: random.Random) -> list[dict[str, object]]:
    stamp = "2026-04-01T00:00:00.000Z"
    out: list[dict[str, object]] = []
    for n in range(count):
        kind = n % 3
        if kind == 0:
            value, path = (
                f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
                f".{rng.randint(1, 254)}",
                "ipv4-addr:value",
            )
        elif kind == 1:
            value, path = f"c2-{n}.bad-{rng.randint(0, 9999)}.example", "domain-name:value"
        else:
            value, path = uuid.uuid4().hex + uuid.uuid4().hex, "file:hashes.'SHA-256'"
        out.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{uuid.uuid4()}",
                "created": stamp,
                "modified": stamp,
                "name": f"generated {n}",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[{path} = '{value}']",
                "pattern_type": "stix",
                "valid_from": stamp,
                "object_marking_refs": [TLP.GREEN.marking_id],
            }
        )
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    load_domains()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="intel-bench-"))
    url = args.database_url or f"sqlite:///{work / 'rengo.db'}"
    upgrade(url)
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key="bench",
        password_time_cost=1,
        password_memory_kib=1024,
    )
    settings.section(IntelSettings).feed_scheduler = False
    runtime = Runtime.from_settings(settings)
    with runtime.db.session() as session:
        sync_tenants(session)
        _, token = create_token(session, tenant="131016", role="ward_it", name="bench")

    objects: list[dict[str, object]] = []
    shared = shared_data_dir()
    if shared is not None:
        objects.extend(
            json.loads((shared / "stix" / "mitre-attack" / "ics-attack.json").read_text())[
                "objects"
            ]
        )
    objects.extend(generated_indicators(args.objects - len(objects), rng))
    print(
        f"storing {len(objects):,} objects ({'ICS bundle + ' if shared else ''}generated "
        "indicators)"
    )
    started = time.perf_counter()
    for start in range(0, len(objects), BATCH):
        with runtime.db.session() as session:
            feeds_collection = get_collection(session, SYSTEM, FEEDS)
            result = ingest(
                session,
                settings,
                SYSTEM,
                feeds_collection,
                objects[start : start + BATCH],
                now=runtime.clock.now(),
                source="bench",
                default_tlp=TLP.GREEN,
            )
            assert not result.failures, result.failures[:2]
    elapsed = time.perf_counter() - started
    print(
        f"ingest: {len(objects) / elapsed:,.0f} objects/s ({elapsed:.1f} s, validated, "
        "TLP-checked, indicators indexed)"
    )

    import uvicorn

    from rengo.web.app import create_app

    port = random.randint(20_000, 40_000)
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/taxii2/rengo/collections/{FEEDS}/objects/"
    headers = {"Accept": "application/taxii+json;version=2.1", "Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=30) as client:
        manifest = []
        params: dict[str, str] = {"limit": "1000"}
        while True:
            page = client.get(base.replace("/objects/", "/manifest/"), params=params).json()
            manifest.extend(page.get("objects", []))
            if not page["more"]:
                break
            params["next"] = page["next"]
        pages, lookups = [], []
        for _ in range(args.requests):
            after = rng.choice(manifest)["date_added"]
            t = time.perf_counter()
            response = client.get(base, params={"limit": "100", "added_after": after})
            pages.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        for _ in range(args.requests):
            ident = rng.choice(manifest)["id"]
            t = time.perf_counter()
            response = client.get(base, params={"match[id]": ident})
            lookups.append((time.perf_counter() - t) * 1000)
            assert response.json()["objects"][0]["id"] == ident
    server.should_exit = True
    thread.join(10)
    print(f"collection holds {len(manifest):,} objects")
    print(
        f"page of 100 (added_after, random position): p50 {statistics.median(pages):.1f} ms, "
        f"p95 {percentile(pages, 95):.1f} ms"
    )
    print(
        f"match[id]: p50 {statistics.median(lookups):.1f} ms, p95 {percentile(lookups, 95):.1f} ms"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    runtime.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
