"""How a live exercise delivers its telemetry — as a ward's collector would, over HTTP or
syslog — and how the syslog listener knows an exercise's messages.

- ``HttpSender`` POSTs each batch to ``/api/v1/soc/ingest`` with the ward's token,
  ``origin=exercise`` and ``source=exercise:<id>``.
- ``SyslogSender`` writes the FortiGate records (what a firewall sends by syslog) to the
  server's syslog listener over TCP, RFC 5424 with octet counting (RFC 6587), each
  message tagged in its structured data: ``[rengo@32473 exercise="EX-…" ward="…"]``;
  records in the other formats (Windows and M365 JSON, squid, mail) still go over HTTP,
  as their shippers would. Syslog has no acknowledgement: a message is delivered once
  written to the connection (the listener spools within ``soc.syslog_flush_ms``).
- ``RunningExercises`` is the listener's check of that tag: the exercise must be a live
  one running (or paused) with that ward, so that nobody can hide real logs as exercise
  data by tagging them.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

import httpx
from sqlalchemy import and_, or_, select

from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.drills.models import Exercise

TEXT_FORMATS = {"fortigate", "squid", "syslog", "cef"}
SYSLOG_FORMATS = {"fortigate"}
"""Formats a ward's devices send by syslog (the listener's parser reads FortiGate in it)."""


@dataclass(frozen=True)
class Outcome:
    status: Literal["stored", "retry", "refused"]
    position: int = 0
    """Spool position after the batch (the lake head passes it once stored)."""
    detail: str = ""


class Sender(Protocol):
    def __call__(self, ward: TenantCode, token: str, fmt: str, source: str, body: bytes) -> Outcome:
        """Deliver one batch of a ward's records as its collector would."""
        ...

    def close(self) -> None:
        """End the delivery (a syslog connection is closed, so the listener reads to
        its end)."""
        ...


class HttpSender:
    """POST to ``/api/v1/soc/ingest`` with the ward's token (``origin=exercise``)."""

    def __init__(self, base_url: str, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_client = http is None
        self.http = http or httpx.Client(timeout=30.0)

    def close(self) -> None:
        if self._owns_client:
            self.http.close()

    def __call__(self, ward: TenantCode, token: str, fmt: str, source: str, body: bytes) -> Outcome:
        content_type = "text/plain" if fmt in TEXT_FORMATS else "application/x-ndjson"
        try:
            response = self.http.post(
                f"{self.base_url}/api/v1/soc/ingest",
                params={"format": fmt, "origin": "exercise", "source": source},
                content=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
            )
        except httpx.HTTPError as exc:
            return Outcome("retry", detail=str(exc))
        if response.status_code == 503:
            return Outcome("retry", detail="503")
        if response.status_code >= 400:
            return Outcome("refused", detail=response.text[:300])
        return Outcome("stored", int(response.json().get("position", 0)))


def syslog_frame(record: bytes, exercise: str, ward: TenantCode, now: datetime) -> bytes:
    """One RFC 5424 message (local7.info) with the exercise tag, octet-counted."""
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    head = f'<190>1 {stamp} - fortigate - - [rengo@32473 exercise="{exercise}" ward="{ward}"] '
    message = head.encode() + record
    return str(len(message)).encode() + b" " + message


class SyslogSender:
    """FortiGate records to the syslog listener over TCP; the rest over HTTP."""

    def __init__(self, host: str, port: int, http: HttpSender) -> None:
        self.address = (host, port)
        self.http = http
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def __call__(self, ward: TenantCode, token: str, fmt: str, source: str, body: bytes) -> Outcome:
        if fmt not in SYSLOG_FORMATS:
            return self.http(ward, token, fmt, source, body)
        exercise = source.removeprefix("exercise:")
        now = datetime.now(UTC)
        data = b"".join(
            syslog_frame(line, exercise, ward, now) for line in body.split(b"\n") if line.strip()
        )
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.create_connection(self.address, timeout=30)
                self._socket.sendall(data)
            except OSError as exc:
                self._close_socket()
                return Outcome("retry", detail=f"syslog {self.address[0]}:{self.address[1]}: {exc}")
        return Outcome("stored")

    def close(self) -> None:
        with self._lock:
            self._close_socket()
        self.http.close()

    def _close_socket(self) -> None:
        if self._socket is not None:
            try:
                self._socket.close()
            finally:
                self._socket = None


IN_FLIGHT = timedelta(seconds=60)
"""How long after completing an exercise its tagged syslog records are still its own."""


class RunningExercises:
    """The syslog listener's check: is ``exercise`` a live one running with ``ward``?

    A "yes" is kept a few seconds (the listener asks for every tagged message). A "no"
    is asked again at once, so that the first records of an exercise that has just
    started are not refused; only under a flood of tags that are refused (forged or
    stale) does it fall back to the kept "no", within ``lookups_per_second``."""

    def __init__(
        self,
        runtime: Runtime,
        keep_seconds: float = 5.0,
        keep_no: float = 0.5,
        lookups_per_second: int = 20,
    ) -> None:
        self.runtime, self.keep, self.keep_no = runtime, keep_seconds, keep_no
        self.lookups_per_second = lookups_per_second
        self._known: dict[str, tuple[float, list[str]]] = {}
        self._window = (0.0, 0)  # (start of this second, lookups of a "no" in it)

    def __call__(self, exercise: str, ward: str) -> bool:
        now = time.monotonic()
        cached = self._known.get(exercise)
        if cached is None or self._stale(cached, now):
            if len(self._known) > 1000:
                self._known.clear()
            cached = self._known[exercise] = (now, self._wards_of(exercise))
        return ward in cached[1]

    def _stale(self, cached: tuple[float, list[str]], now: float) -> bool:
        read_at, wards = cached
        if wards:
            return now - read_at > self.keep
        if now - read_at > self.keep_no:
            return True
        start, used = self._window
        if now - start >= 1.0:
            start, used = now, 0
        if used >= self.lookups_per_second:
            return False
        self._window = (start, used + 1)
        return True

    def _wards_of(self, exercise: str) -> list[str]:
        with self.runtime.db.session() as session:
            found = session.scalar(
                select(Exercise).where(
                    Exercise.public_id == exercise,
                    Exercise.kind == "live",
                    or_(
                        Exercise.status.in_(("running", "paused")),
                        # the runner completes once its last records are sent: over TCP
                        # they may still be on their way, and must not become real data
                        and_(
                            Exercise.status == "completed",
                            Exercise.ended_at >= self.runtime.clock.now() - IN_FLIGHT,
                        ),
                    ),
                )
            )
            return list(found.wards) if found is not None else []
