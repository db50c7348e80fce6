"""Fixtures of the CSIRT tests: a fake clock, an alert source double, API helpers.

``AlertBook`` stands in for the SOC's alerts where a test needs alerts of its own making:
it implements the ``AlertSource`` port with the same tenancy rule the SOC applies — a
ward sees its own alerts, the joint centre all. (``test_soc_adapter.py`` and the browser
test use the SOC's real alerts once ``rengo.soc.alerts`` is installed.)
"""

from __future__ import annotations

import importlib.util
import itertools
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
from rengo.csirt.alerts import AlertCounts, AlertRef
from rengo.csirt.settings import CsirtSettings
from rengo.soc.detect.settings import DetectSettings
from tests.helpers import WARD_A, bearer

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 10:00 JST, fiscal year 2026


@dataclass
class AlertBook:
    alerts: dict[str, AlertRef] = field(default_factory=dict)
    marked: dict[str, str] = field(default_factory=dict)

    def add(self, alert_id: str, ward: str, detected_at: datetime, **extra: Any) -> AlertRef:
        ref = AlertRef(
            id=alert_id,
            ward=ward,
            title=extra.pop("title", f"Alert {alert_id}"),
            severity=extra.pop("severity", "high"),
            detected_at=detected_at,
            **extra,
        )
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

    def count(
        self, session: Session, wards: Sequence[str] | None, start: datetime, end: datetime
    ) -> AlertCounts | None:
        chosen = [
            a
            for a in self.alerts.values()
            if start <= a.detected_at < end and (wards is None or a.ward in wards)
        ]
        levels: dict[str, int] = {}
        for alert in chosen:
            levels[alert.severity] = levels.get(alert.severity, 0) + 1
        return AlertCounts(len(chosen), levels)


@pytest.fixture
def env(env: Runtime) -> Runtime:
    """The shared runtime with a fake clock and no background worker (tests tick by hand)."""
    env.clock = FakeClock(START)
    env.settings.section(CsirtSettings).worker_interval_seconds = 0
    env.settings.section(CsirtSettings).delivery_backoff_seconds = 60
    env.settings.section(CsirtSettings).action_backoff_seconds = 0.01
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


def soc_alerts_installed() -> bool:
    return importlib.util.find_spec("rengo.soc.alerts") is not None


@pytest.fixture
def soc_alert(app: Any, env: Runtime) -> Callable[..., str]:
    """``soc_alert(ward, title, level=, src_ip=)`` -> the public id of a SOC alert: a real
    one raised through ``rengo.soc.alerts`` when it is installed (the app then reads the
    SOC's own alerts), else one kept by an ``AlertBook`` until soc-detect lands."""
    counter = itertools.count(1)
    if soc_alerts_installed():
        from rengo.core.permissions import SYSTEM
        from rengo.soc import alerts as soc_alerts

        def real(ward: str, title: str, level: str = "high", src_ip: str | None = None) -> str:
            with env.db.session() as session:
                raised = soc_alerts.raise_alert(
                    session,
                    SYSTEM,
                    env.settings.section(DetectSettings),
                    ward=ward,
                    title=title,
                    level=level,
                    time=env.clock.now(),
                    event_ids=[f"ev-{next(counter)}"],
                    src_ip=src_ip,
                    now=env.clock.now(),
                )
            [public_id] = raised.new_alerts
            return str(public_id)

        return real
    book = AlertBook()
    app.state.csirt_alert_source = book

    def double(ward: str, title: str, level: str = "high", src_ip: str | None = None) -> str:
        alert_id = f"ALR-TEST-{next(counter):04d}"
        found = (("ipv4", src_ip),) if src_ip else ()
        book.add(alert_id, ward, env.clock.now(), title=title, severity=level, indicators=found)
        return alert_id

    return double


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
