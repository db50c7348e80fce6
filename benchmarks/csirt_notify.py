"""Notification fan-out to the 23 wards, end to end: a cross-ward incident involving all
23 wards pages the joint CSIRT and every ward's contact team (24 e-mails over real SMTP
to a local aiosmtpd server and 24 signed webhooks to a local HTTP server); the clock runs
from the request that opens the incident until the last message has arrived.

    python benchmarks/csirt_notify.py [--rounds 5]

Target (issue #5): ≤ 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rengo.core.identity import Passwords, create_token, create_user  # noqa: E402
from rengo.core.permissions import SYSTEM  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import Settings  # noqa: E402
from rengo.core.tenancy import sync_tenants  # noqa: E402
from rengo.core.wards import JOINT, wards  # noqa: E402
from rengo.csirt import oncall  # noqa: E402
from rengo.csirt.settings import CsirtSettings  # noqa: E402
from rengo.migrations import upgrade  # noqa: E402

BENCH_SECRET = "bench-only-key"
BENCH_PASSWORD = "long enough password"
KEY_NAME = "teams"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Arrivals:
    def __init__(self, expected: int) -> None:
        self.expected, self.count = expected, 0
        self.done = threading.Event()
        self.lock = threading.Lock()

    def arrived(self) -> None:
        with self.lock:
            self.count += 1
            if self.count >= self.expected:
                self.done.set()


def main() -> None:
    from aiosmtpd.controller import Controller
    from fastapi.testclient import TestClient

    from rengo.web.app import create_app

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    state: dict[str, Arrivals] = {}

    class Mail:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            state["arrivals"].arrived()
            return "250 OK"

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            state["arrivals"].arrived()

        def log_message(self, *args: Any) -> None:
            return None

    smtp = Controller(Mail(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    hooks = ThreadingHTTPServer(("127.0.0.1", free_port()), Hook)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{hooks.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=url,
            secret_key=BENCH_SECRET,
            password_time_cost=1,
            password_memory_kib=1024,
        )
        settings.section(CsirtSettings).smtp_port = smtp.port
        settings.section(CsirtSettings).worker_interval_seconds = 0
        settings.section(CsirtSettings).webhook_secrets[KEY_NAME] = SecretStr("bench-signing-key")
        runtime = Runtime.from_settings(settings)
        passwords = Passwords.from_settings(settings)
        with runtime.db.session() as session:
            sync_tenants(session)
            for code in (JOINT, *(w.code for w in wards())):
                name = f"oncall-{code}"
                create_user(
                    session,
                    passwords,
                    username=name,
                    password=BENCH_PASSWORD,
                    tenant=code,
                    role="csirt",
                    email=f"{name}@example.test",
                )
                team = oncall.create_team(
                    session,
                    SYSTEM,
                    tenant=code,
                    name=f"team-{code}",
                    kind="csirt" if code == JOINT else "ward_contact",
                    webhook_url=hook_url,
                    webhook_secret_name=KEY_NAME,
                    settings=settings,
                )
                oncall.add_shifts(
                    session,
                    SYSTEM,
                    team.id,
                    usernames=[name],
                    start=runtime.clock.now(),
                    shift_hours=24,
                    count=2,
                )
            _t, token = create_token(session, tenant=JOINT, role="csirt")
        every_ward = [w.code for w in wards()]
        timings = []
        with TestClient(create_app(runtime)) as client:
            for n in range(args.rounds):
                state["arrivals"] = arrivals = Arrivals(expected=2 * 24)
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/incidents",
                    headers={"Authorization": f"Bearer {token}"},
                    json={
                        "title": f"全区への標的型攻撃 {n}",
                        "category": "ransomware",
                        "wards": every_ward,
                    },
                )
                assert response.status_code == 201, response.text
                if not arrivals.done.wait(30):
                    raise SystemExit(
                        f"only {arrivals.count} of {arrivals.expected} notifications arrived"
                    )
                timings.append(time.perf_counter() - started)
                print(f"round {n + 1}: 24 e-mails + 24 webhooks delivered in {timings[-1]:.2f} s")
        print(
            f"fan-out to 23 wards + joint: median {statistics.median(timings):.2f} s, "
            f"max {max(timings):.2f} s"
        )
        runtime.close()
    smtp.stop()
    hooks.shutdown()


if __name__ == "__main__":
    main()
