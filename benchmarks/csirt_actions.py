"""Containment actions through the background worker, end to end: requests for block
actions at all 23 wards go through the JSON API while every ward's endpoint (a local
HTTP server verifying nothing but answering like a firewall API) takes ``--latency-ms``
to answer. Measured: how long a request waits (it must not wait for the ward), how long
from the request until the action has succeeded, and how many actions per second the
worker carries out (16 concurrent calls per round).

    python benchmarks/csirt_actions.py [--per-ward 10] [--latency-ms 200]

Targets (issue #5): a request answers in ≤ 150 ms (p95) whatever the endpoint does; an
action is carried out within seconds (MTTC is measured from these time stamps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from rengo.core.identity import create_token  # noqa: E402
from rengo.core.permissions import SYSTEM, Principal, Role  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.core.wards import JOINT, wards  # noqa: E402
from rengo.csirt import endpoints, incidents  # noqa: E402
from rengo.csirt.alerts import UnavailableAlertSource  # noqa: E402
from rengo.csirt.models import ContainmentAction  # noqa: E402
from rengo.csirt.schemas import IncidentCreate  # noqa: E402
from rengo.csirt.settings import CsirtSettings  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402

KEY_NAME = "bench_fw"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    from fastapi.testclient import TestClient

    from rengo.web.app import create_app

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-ward", type=int, default=10)
    parser.add_argument("--latency-ms", type=int, default=200)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    calls = {"n": 0}
    lock = threading.Lock()

    class Firewall(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            time.sleep(latency)
            with lock:
                calls["n"] += 1
                body = b'{"reference": "FW-%d"}' % calls["n"]
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Firewall)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/block"
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        upgrade(db_url)
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=db_url,
            secret_key="bench-only",
            password_time_cost=1,
            password_memory_kib=1024,
        )
        settings.section(CsirtSettings).worker_interval_seconds = 15  # the requests wake it
        settings.section(CsirtSettings).webhook_secrets[KEY_NAME] = SecretStr("bench-signing-key")
        settings.section(CsirtSettings).page_min_severity = "critical"  # no pages: actions only
        runtime = Runtime.from_settings(settings)
        incident_of: dict[str, int] = {}
        with runtime.db.session() as session:
            sync_tenants(session)
            for ward in wards():
                endpoints.create_connector(
                    session,
                    SYSTEM,
                    tenant=ward.code,
                    name=f"FW {ward.code}",
                    kind="webhook",
                    url=url,
                    secret_name=KEY_NAME,
                )
                incident = incidents.create_incident(
                    session,
                    Principal(ward.code, Role.CSIRT, username="bench"),
                    IncidentCreate(title="不正アクセス", category="unauthorised_access"),
                    settings,
                    alert_source=UnavailableAlertSource(),
                    now=runtime.clock.now(),
                )
                incident_of[ward.code] = incident.id
            _t, token = create_token(session, tenant=JOINT, role="csirt")
        headers = {"Authorization": f"Bearer {token}"}
        waits: list[float] = []
        total = 23 * args.per_ward
        with TestClient(create_app(runtime)) as client:
            started = time.perf_counter()
            for n in range(args.per_ward):
                for ward in wards():
                    t0 = time.perf_counter()
                    response = client.post(
                        f"/api/v1/incidents/{incident_of[ward.code]}/actions",
                        headers=headers,
                        json={"kind": "block_ip", "target": f"198.51.100.{n % 250 + 1}"},
                    )
                    waits.append(time.perf_counter() - t0)
                    assert response.status_code == 201, response.text
            requested = time.perf_counter() - started
            deadline = time.monotonic() + 600
            while True:
                with runtime.db.session() as session:
                    done = session.scalars(
                        select(ContainmentAction).where(ContainmentAction.status == "succeeded")
                    ).all()
                    if len(done) >= total:
                        spans = [
                            (a.completed_at - a.requested_at).total_seconds()
                            for a in done
                            if isinstance(a.completed_at, datetime)
                        ]
                        break
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {len(done)} of {total} actions done after 600 s")
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
        runtime.close()
    server.shutdown()
    ms = [w * 1000 for w in waits]
    print(f"{total} block actions at 23 wards, endpoint latency {args.latency_ms} ms")
    print(
        f"request wait: p50 {statistics.median(ms):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, "
        f"max {max(ms):.1f} ms (all requests in {requested:.2f} s)"
    )
    print(
        f"request → succeeded: p50 {statistics.median(spans):.2f} s, "
        f"p95 {percentile(spans, 0.95):.2f} s"
    )
    print(f"all {total} carried out in {elapsed:.2f} s: {total / elapsed:.1f} actions/s")


if __name__ == "__main__":
    main()
