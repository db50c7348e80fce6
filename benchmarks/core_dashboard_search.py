"""Dashboard and asset-search latency with 23 wards × N assets (issue #2).

    .venv/bin/python benchmarks/core_dashboard_search.py --backend sqlite
    .venv/bin/python benchmarks/core_dashboard_search.py --backend postgresql

Fills a fresh database with 23 × ``--assets-per-ward`` assets (default 10,000), serves the
app with uvicorn in a child process on 127.0.0.1 and times real HTTP requests from this
process: the dashboard (targets cache cold and warm), text search and filtered search by
a ward's user, and a search across all wards by the joint centre. Prints p50/p95/max.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

from rengo.assets.models import Asset
from rengo.core.db import utcnow
from rengo.core.identity import Passwords, create_token, create_user
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import wards
from rengo.migrations import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = (
    "住民基本台帳",
    "文書管理",
    "財務会計",
    "職員用端末",
    "複合機",
    "ファイルサーバー",
    "GIS",
    "電子申請",
)


def _database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}"
    name = f"rengo_bench_{int(time.time())}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _fill(runtime: Runtime, per_ward: int) -> None:
    rng = random.Random(7)
    now = utcnow()
    with runtime.db.session() as session:
        sync_tenants(session)
    for w_index, ward in enumerate(wards(), start=1):
        rows: list[dict[str, Any]] = []
        for i in range(per_ward):
            word = rng.choice(WORDS)
            classified = rng.random() > 0.1
            name = f"{word} {i:05d}"
            rows.append(
                {
                    "tenant": ward.code,
                    "kind": rng.choice(("system", "device", "dataset")),
                    "name": name,
                    "description": "",
                    "department": rng.choice(("総務部", "区民部", "福祉部")),
                    "owner": "",
                    "custodian": "",
                    "location": "on_premises",
                    "segment": rng.choice(("mynumber", "lgwan", "internet")),
                    "confidentiality": 2 if classified else None,
                    "integrity": 1,
                    "availability": 1,
                    "personal_data": rng.random() < 0.3,
                    "ip_ranges": [f"10.{w_index}.{i % 250}.0/24"],
                    "hostnames": [f"h{i}.{ward.slug}.lg.local"],
                    "mail_domains": [],
                    "cost_tags": {},
                    "origin": "demo",
                    "search_text": f"{name} h{i}.{ward.slug}.lg.local".lower(),
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        with runtime.db.engine.begin() as connection:
            connection.execute(insert(Asset), rows)
        print(f"  filled {ward.name_ja}", file=sys.stderr, end="\r")
    with runtime.db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # both databases plan better with statistics


def _serve(settings: Settings, port: int) -> None:
    import uvicorn

    from rengo.web.app import create_app

    runtime = Runtime.from_settings(settings)
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")


def _time(client: httpx.Client, url: str, n: int, **kwargs: Any) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url, **kwargs)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return samples


def _report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{label:<48} n={len(samples):<4} p50={statistics.median(ordered):7.1f} ms  "
        f"p95={p95:7.1f} ms  max={ordered[-1]:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--assets-per-ward", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rengo-bench-"))
    url = _database(args.backend, folder)
    settings = Settings(data_dir=folder, database_url=url, secret_key="bench")
    upgrade(url)
    runtime = Runtime.from_settings(settings)
    started = time.perf_counter()
    _fill(runtime, args.assets_per_ward)
    print(
        f"{args.backend}: {23 * args.assets_per_ward:,} assets loaded "
        f"in {time.perf_counter() - started:.1f} s"
    )
    passwords = Passwords.from_settings(settings)
    with runtime.db.session() as session:
        create_user(
            session,
            passwords,
            username="bench",
            password="bench-password",
            tenant="131016",
            role="ward_it",
        )
        _t, ward_token = create_token(session, tenant="131016", role="ward_it")
        _t, joint_token = create_token(session, tenant="joint", role="soc_analyst")
    runtime.close()

    port = 8799
    server = multiprocessing.Process(target=_serve, args=(settings, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(100):
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        client.post("/login", data={"username": "bench", "password": "bench-password"})
        ward = {"Authorization": f"Bearer {ward_token}"}
        joint = {"Authorization": f"Bearer {joint_token}"}
        n = args.requests
        _report("dashboard / (cache warm)", _time(client, "/", n))
        _report("api targets (cache warm)", _time(client, "/api/v1/targets", n, headers=ward))
        _report(
            "asset search page /assets?q= (ward)",
            _time(client, "/assets", n, params={"q": "ファイル"}),
        )
        _report(
            "api search q= (ward)",
            _time(client, "/api/v1/assets", n, params={"q": "h123"}, headers=ward),
        )
        _report(
            "api filter kind+segment (ward)",
            _time(
                client,
                "/api/v1/assets",
                n,
                params={"kind": "device", "segment": "lgwan"},
                headers=ward,
            ),
        )
        _report(
            "api search q= (joint, all 23 wards)",
            _time(client, "/api/v1/assets", n, params={"q": "ファイル"}, headers=joint),
        )
        _report(
            "api unclassified (joint, all 23 wards)",
            _time(client, "/api/v1/assets", n, params={"classified": "false"}, headers=joint),
        )
    server.terminate()
    server.join()
    # Cache time 0: every request finds its values out of date and triggers a recomputation.
    settings = Settings(
        data_dir=folder, database_url=url, secret_key="bench", web={"targets_cache_seconds": 0}
    )
    server = multiprocessing.Process(target=_serve, args=(settings, port + 1), daemon=True)
    server.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{port + 1}", timeout=30) as client:
        for _ in range(100):
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        client.post("/login", data={"username": "bench", "password": "bench-password"})
        _report(
            "dashboard / (cache 0 s: stale values while recomputing)",
            _time(client, "/", max(20, n // 5)),
        )
    server.terminate()
    server.join()


if __name__ == "__main__":
    main()
