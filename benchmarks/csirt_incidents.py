"""Incident list and timeline read speed with 100,000 incidents and 5 million timeline
entries, on SQLite and PostgreSQL, through the JSON API (in-process ASGI client).

    python benchmarks/csirt_incidents.py [--backend sqlite|postgresql|both]
                                         [--incidents 100000] [--entries 5000000]

Prints load time, database size, and p50/p95 of each read (200 requests each).
Target (issue #5): p95 ≤ 150 ms for the list and the timeline.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rengo.core.identity import create_token  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.core.wards import wards  # noqa: E402
from rengo.csirt.models import Incident, IncidentWard  # noqa: E402
from rengo.csirt.settings import CsirtSettings  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("RENGO_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CATEGORIES = ("ransomware", "unauthorised_access", "phishing", "dos", "exploitation", "other")
STATUSES = ("new", "triage", "containment", "eradication", "recovery", "closed", "closed", "closed")
KINDS = ("note", "action", "status", "message", "alert", "event", "system")
BATCH = 50_000
START = datetime(2023, 4, 1, tzinfo=UTC)
BENCH_SECRET = "bench-only-key"


def incidents_rows(n: int, rng: random.Random) -> Iterator[tuple[dict[str, Any], list[str]]]:
    codes = [w.code for w in wards()]
    span = 3 * 365 * 24 * 3600
    for i in range(1, n + 1):
        detected = START + timedelta(seconds=rng.randrange(span))
        own = [codes[i % len(codes)]]
        if rng.random() < 0.05:
            own += rng.sample([c for c in codes if c != own[0]], rng.randint(1, 3))
        contained = detected + timedelta(minutes=rng.randint(5, 180))
        yield (
            {
                "id": i,
                "title": f"インシデント {i} 不審な通信",
                "description": "",
                "category": rng.choice(CATEGORIES),
                "impact": 2,
                "urgency": 2,
                "severity": rng.choice(("low", "medium", "high", "critical")),
                "status": rng.choice(STATUSES),
                "lead_ward": own[0],
                "source": "manual",
                "reported_by": "bench",
                "detected_at": detected,
                "contained_at": contained,
                "major": False,
                "major_reason": "",
                "cause": "",
                "report_summary": "",
                "lessons": "",
                "review_notes": "",
                "origin": "demo",
                "version": 1,
                "created_at": detected,
                "updated_at": detected,
            },
            own,
        )


def load(runtime: Runtime, n_incidents: int, n_entries: int) -> tuple[float, int]:
    """Bulk-load incidents and timeline entries; returns (seconds, id of the biggest incident)."""
    rng = random.Random(5)
    started = time.perf_counter()
    detected_of: dict[int, datetime] = {}
    with runtime.db.engine.begin() as connection:
        batch_i: list[dict[str, Any]] = []
        batch_w: list[dict[str, Any]] = []
        for row, own in incidents_rows(n_incidents, rng):
            detected_of[row["id"]] = row["detected_at"]
            batch_i.append(row)
            batch_w += [
                {"incident_id": row["id"], "ward": w, "detected_at": row["detected_at"]}
                for w in own
            ]
            if len(batch_i) >= BATCH:
                connection.execute(insert(Incident), batch_i)
                connection.execute(insert(IncidentWard), batch_w)
                batch_i, batch_w = [], []
        if batch_i:
            connection.execute(insert(Incident), batch_i)
            connection.execute(insert(IncidentWard), batch_w)
    biggest = n_incidents // 2
    big_share = min(200_000, n_entries // 10)
    rows = _timeline_rows(rng, detected_of, n_entries, biggest, big_share)
    if runtime.db.dialect == "postgresql":
        _copy_timeline(runtime, rows)
    else:
        with runtime.db.engine.begin() as connection:
            sql = text(
                "INSERT INTO csirt_timeline (incident_id, at, kind, actor, summary, detail) "
                "VALUES (:incident_id, :at, :kind, :actor, :summary, '{}')"
            )
            chunk: list[dict[str, Any]] = []
            for r in rows:
                chunk.append(
                    {
                        "incident_id": r[0],
                        "at": r[1].replace(tzinfo=None),
                        "kind": r[2],
                        "actor": r[3],
                        "summary": r[4],
                    }
                )
                if len(chunk) >= BATCH:
                    connection.execute(sql, chunk)
                    chunk = []
            if chunk:
                connection.execute(sql, chunk)
    with runtime.db.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return time.perf_counter() - started, biggest


def _timeline_rows(
    rng: random.Random, detected_of: dict[int, datetime], n: int, biggest: int, big_share: int
) -> Iterator[tuple[int, datetime, str, str, str]]:
    ids = list(detected_of)
    for j in range(n):
        incident_id = biggest if j < big_share else ids[j % len(ids)]
        at = detected_of[incident_id] + timedelta(seconds=rng.randrange(30 * 24 * 3600))
        yield incident_id, at, KINDS[j % len(KINDS)], "csirt@joint", f"記録 {j}: 対応状況を更新"


def _copy_timeline(runtime: Runtime, rows: Iterator[tuple[int, datetime, str, str, str]]) -> None:
    raw = runtime.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(
            "COPY csirt_timeline (incident_id, at, kind, actor, summary, detail) FROM STDIN"
        ) as copy:  # type: ignore[attr-defined]
            for r in rows:
                copy.write_row((*r, "{}"))
        raw.commit()
    finally:
        raw.close()


def measure(label: str, call: Callable[[], Any], n: int = 200) -> None:
    for _ in range(5):
        call()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[int(0.95 * len(times)) - 1]
    print(f"  {label:<46} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def run(backend: str, n_incidents: int, n_entries: int) -> None:
    from fastapi.testclient import TestClient

    from rengo.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="rengo-bench-") as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
            drop = None
        else:
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            name = f"rengo_bench_csirt_{os.getpid()}"
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name

            def drop() -> None:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

        try:
            upgrade(url)
            settings = Settings(
                data_dir=Path(tmp) / "data", database_url=url, secret_key=BENCH_SECRET
            )
            settings.section(CsirtSettings).worker_interval_seconds = 0
            runtime = Runtime.from_settings(settings)
            with runtime.db.session() as session:
                sync_tenants(session)
                _t, joint = create_token(session, tenant="joint", role="csirt")
                _t, ward = create_token(session, tenant="131121", role="ward_it")
            seconds, biggest = load(runtime, n_incidents, n_entries)
            print(
                f"{backend}: loaded {n_incidents:,} incidents and {n_entries:,} timeline entries "
                f"in {seconds:.0f} s"
            )
            rng = random.Random(1)
            with TestClient(create_app(runtime)) as client:
                j = {"Authorization": f"Bearer {joint}"}
                w = {"Authorization": f"Bearer {ward}"}

                def get(path: str, headers: dict[str, str]) -> Callable[[], Any]:
                    def call() -> Any:
                        r = client.get(path, headers=headers)
                        assert r.status_code == 200, r.text
                        return r

                    return call

                measure("list, joint centre, newest 50", get("/api/v1/incidents", j))
                measure("list, one ward (世田谷区), newest 50", get("/api/v1/incidents", w))
                measure(
                    "list, joint, open only, page 5", get("/api/v1/incidents?open=true&page=5", j)
                )
                measure(
                    "list, joint, ward + category filter",
                    get("/api/v1/incidents?ward=131016&category=phishing", j),
                )

                def random_timeline() -> Any:
                    return get(f"/api/v1/incidents/{rng.randint(1, n_incidents)}/timeline", j)()

                measure("timeline of a random incident (all, ~50)", random_timeline)
                measure(
                    "timeline of the biggest incident (first 200)",
                    get(f"/api/v1/incidents/{biggest}/timeline", j),
                )
                last = client.get(
                    f"/api/v1/incidents/{biggest}/timeline?order=desc&limit=200", headers=j
                ).json()
                cursor = last["next_after"]
                measure(
                    "timeline of the biggest, keyset page (200)",
                    get(
                        f"/api/v1/incidents/{biggest}/timeline?order=desc&limit=200&after={cursor}",
                        j,
                    ),
                )
                measure(
                    "incident detail (audited read)",
                    lambda: get(f"/api/v1/incidents/{rng.randint(1, n_incidents)}", j)(),
                )
            runtime.close()
        finally:
            if drop is not None:
                drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000_000)
    args = parser.parse_args()
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run(backend, args.incidents, args.entries)


if __name__ == "__main__":
    main()
