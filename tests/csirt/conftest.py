"""Fixtures of the CSIRT tests: a fake clock, an alert source double, API helpers.

``AlertBook`` stands in for the SOC's alerts (``rengo.soc.alerts`` is not on main yet):
it implements the ``AlertSource`` port with the same tenancy rule the SOC applies — a
ward sees its own alerts, the joint centre all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from rengo.core.clock import FakeClock
from rengo.core.permissions import Principal
from rengo.core.runtime import Runtime
from rengo.csirt.alerts import AlertRef
from tests.helpers import WARD_A, bearer

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 JST, fiscal year 2026


@dataclass
class AlertBook:
    alerts: dict[str, AlertRef] = field(default_factory=dict)
    marked: dict[str, str] = field(default_factory=dict)

    def add(self, alert_id: str, ward: str, detected_at: datetime, **extra: Any) -> AlertRef:
        ref = AlertRef(id=alert_id, ward=ward, title=extra.pop("title", f"Alert {alert_id}"),
                       severity=extra.pop("severity", "high"), detected_at=detected_at, **extra)  # fmt: skip
        self.alerts[alert_id] = ref
        return ref

    def get(self, session: Session, principal: Principal, ids: Sequence[str]) -> list[AlertRef]:
        return [
            a
            for i in ids
            if (a := self.alerts.get(i)) and (principal.is_joint or a.ward == principal.tenant)
        ]

    def mark(
        self, session: Session, principal: Principal, ids: Sequence[str], incident_ref: str
    ) -> None:
        for alert_id in ids:
            self.marked[alert_id] = incident_ref


@pytest.fixture
def env(env: Runtime) -> Runtime:
    """The shared runtime with a fake clock and no background worker (tests tick by hand)."""
    env.clock = FakeClock(START)
    env.settings.csirt.worker_interval_seconds = 0
    env.settings.csirt.delivery_backoff_seconds = 60
    env.settings.csirt.action_backoff_seconds = 0.01
    return env


@pytest.fixture
def clock(env: Runtime) -> FakeClock:
    assert isinstance(env.clock, FakeClock)
    return env.clock


@pytest.fixture
def alert_book(app: Any) -> AlertBook:
    book = AlertBook()
    app.state.csirt_alert_source = book
    return book


@pytest.fixture
def api(client: TestClient, tokens: Callable[..., str]) -> Callable[..., Any]:
    """``api(method, path, ward=, role=, **kwargs)`` -> the response, as that ward and role."""

    def call(method: str, path: str, ward: str = WARD_A, role: str = "csirt", **kwargs: Any) -> Any:
        headers = {**bearer(tokens(ward, role)), **kwargs.pop("headers", {})}
        return client.request(method, path, headers=headers, **kwargs)

    return call


@pytest.fixture
def open_incident(api: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    def make(ward: str = WARD_A, role: str = "csirt", **body: Any) -> dict[str, Any]:
        body.setdefault("title", "不審な通信")
        body.setdefault("category", "unauthorised_access")
        response = api("POST", "/api/v1/incidents", ward=ward, role=role, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make


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
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from tests.helpers import free_port

        self.requests: list[Received] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = b'{"reference": "FW-%d"}' % len(receiver.requests)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
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
