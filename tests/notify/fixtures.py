"""Fixtures of messaging shared by every test directory (``pytest_plugins`` in
``tests/conftest.py``): API helpers, a real SMTP server and a real webhook receiver.
A directory whose tests tick the worker by hand overrides ``env`` with
``with_fake_clock`` in its own conftest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.clock import FakeClock
from rengo.core.identity import User
from rengo.core.runtime import Runtime
from rengo.notify.models import Delivery
from tests.helpers import WARD_A, bearer

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 JST, fiscal year 2026


def with_fake_clock(env: Runtime) -> Runtime:
    """``env`` with a fake clock and no background worker (tests tick by hand)."""
    env.clock = FakeClock(START)
    env.settings.csirt.worker_interval_seconds = 0
    env.settings.csirt.delivery_backoff_seconds = 60
    env.settings.csirt.action_backoff_seconds = 0.01
    return env


def joint_people(env: Runtime, make_user: Callable[..., str], n: int) -> list[str]:
    """``n`` joint CSIRT people with e-mail addresses."""
    names = [make_user("joint", "csirt") for _ in range(n)]
    with env.db.session() as session:
        for user in session.scalars(select(User).where(User.username.in_(names))):
            user.email = f"{user.username}@csirt.example.test"
    return names


def joint_team(
    api: Callable[..., Any], clock: FakeClock, people: list[str], manager: str, **extra: Any
) -> dict[str, Any]:
    team = api(
        "POST",
        "/api/v1/oncall/teams",
        ward="joint",
        json={
            "tenant": "joint",
            "name": "共同CSIRT",
            "kind": "csirt",
            "manager": manager,
            "ack_minutes": 15,
            **extra,
        },
    )
    assert team.status_code == 201, team.text
    rota = api(
        "POST",
        f"/api/v1/oncall/teams/{team.json()['id']}/shifts",
        ward="joint",
        json={
            "usernames": people,
            "start": (clock.now() - timedelta(hours=1)).isoformat(),
            "shift_hours": 12,
            "count": 6,
        },
    )
    assert rota.status_code == 201, rota.text
    return dict(team.json())


def sent_subjects(env: Runtime) -> list[tuple[str, str]]:
    with env.db.session() as session:
        return [
            (d.recipient, d.subject)
            for d in session.scalars(select(Delivery).order_by(Delivery.id))
        ]


@pytest.fixture
def clock(env: Runtime) -> FakeClock:
    assert isinstance(env.clock, FakeClock)
    return env.clock


@pytest.fixture
def api(client: TestClient, tokens: Callable[..., str]) -> Callable[..., Any]:
    """``api(method, path, ward=, role=, **kwargs)`` -> the response, as that ward and role."""

    def call(method: str, path: str, ward: str = WARD_A, role: str = "csirt", **kwargs: Any) -> Any:
        headers = {**bearer(tokens(ward, role)), **kwargs.pop("headers", {})}
        return client.request(method, path, headers=headers, **kwargs)

    return call


@pytest.fixture
def worker_round(api: Callable[..., Any]) -> Callable[[], dict[str, Any]]:
    """One round of the CSIRT worker through the API (as the joint centre's admin)."""

    def run() -> dict[str, Any]:
        response = api("POST", "/api/v1/oncall/run", ward="joint", role="admin")
        assert response.status_code == 200, response.text
        return dict(response.json())

    return run


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) keeping what it receives."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    received: list[Any] = []

    class Keep(MessageHandler):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    from tests.helpers import free_port

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.received = received  # type: ignore[attr-defined]
    try:
        yield controller
    finally:
        controller.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that keeps each POST and answers from a script."""

    def __init__(self) -> None:
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from tests.helpers import free_port

        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
        """Seconds to wait before answering, one per request (a slow endpoint)."""
        self.hold: threading.Event | None = None
        """While set up and not released, every call waits (up to 10 s) before answering."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delays:
                    time.sleep(receiver.delays.pop(0))
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                payload = b'{"reference": "FW-%d"}' % len(receiver.requests)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (a time-out test)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()
