"""Connectors carry a containment action to a ward: the generic signed webhook and the
simulated ward endpoint (used by the demo and by tests in place of a real firewall/EDR).

The simulated endpoint contains nothing: it acts for demo and exercise incidents only,
unless ``csirt.simulated_connectors = "marked"`` lets it act for real ones too, its
results marked ``simulated`` (they never set ``contained_at``; see ``action_runner``).

A webhook receives ``POST <url>`` with JSON ``{"action_id", "incident", "ward", "kind",
"target", "reason", "requested_by", "approved_by"}`` signed in ``X-Rengo-Signature``
(see ``rengo.notify.signing``) and answers 2xx with ``{"reference": "…"}`` when done.
One ``attempt`` is one call; the caller (``rengo.csirt.action_runner``) retries network
errors, time-outs and 5xx answers with back-off, and takes a 4xx answer as final.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from rengo.core.clock import Clock
from rengo.core.db import Database
from rengo.core.settings import CsirtSettings
from rengo.csirt.indicators import is_internal_address
from rengo.csirt.models import Connector, SimulatedEffect
from rengo.notify.outbox import DeliveryError, secret_value
from rengo.notify.signing import SIGNATURE_HEADER, sign

CONNECTOR_KINDS = ("webhook", "simulated")


@dataclass(frozen=True, slots=True)
class ActionCommand:
    action_id: int
    incident: str
    ward: str
    kind: str
    target: str
    reason: str
    requested_by: str
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The outcome of one call to a ward's endpoint.

    ``retry``: worth trying again (network error, time-out, 5xx); otherwise final."""

    ok: bool
    reference: str = ""
    error: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    retry: bool = False
    simulated: bool = False
    """Done by the simulated endpoint: nothing was contained at a real ward."""


class ActionConnector(Protocol):
    def attempt(self, command: ActionCommand) -> ActionResult:
        """One try; never raises for the endpoint's failures (they are the result)."""
        ...


@dataclass
class WebhookConnector:
    url: str
    secret: str
    timeout: float

    def attempt(self, command: ActionCommand) -> ActionResult:
        body = json.dumps(asdict(command), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self.secret, body, int(time.time())),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            return ActionResult(False, error=f"{type(exc).__name__}: {exc}", retry=True)
        detail = {"status": response.status_code, "body": _json_or_text(response)}
        if response.is_success:
            answer = detail["body"]
            reference = str(answer.get("reference", "")) if isinstance(answer, dict) else ""
            return ActionResult(True, reference[:128], "", detail)
        error = f"endpoint answered {response.status_code}: {str(detail['body'])[:300]}"
        return ActionResult(False, error=error, detail=detail, retry=response.status_code >= 500)


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:500]}


_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")
_ACCOUNT = re.compile(r"^[^\s@]+(@[^\s@]+)?$|^[^\\\s]+\\[^\\\s]+$")


def _target_problem(kind: str, target: str) -> str | None:
    """What a real ward endpoint would refuse, the way a firewall or EDR API does."""
    if kind == "block_ip":
        try:
            network = ipaddress.ip_network(target, strict=False)
        except ValueError:
            return f"{target!r} is not an IP address or network"
        if is_internal_address(str(network.network_address)):
            return f"{target} is an internal address: isolate the host instead"
    elif kind in ("isolate_host", "block_domain"):
        if not _HOST.match(target):
            return f"{target!r} is not a host name"
    elif kind == "block_url" and not target.startswith(("http://", "https://")):
        return f"{target!r} is not a URL"
    elif kind == "disable_account" and not _ACCOUNT.match(target):
        return f"{target!r} is not an account name"
    return None


@dataclass
class SimulatedWardConnector:
    """A ward's endpoint simulated inside rengo: it validates like a real one and keeps
    what it has blocked, isolated, disabled or quarantined in ``csirt_simulated_effects``."""

    db: Database
    clock: Clock
    latency_seconds: float = 0.0

    def attempt(self, command: ActionCommand) -> ActionResult:
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        problem = _target_problem(command.kind, command.target)
        if problem:
            return ActionResult(False, error=f"ward endpoint refused: {problem}")
        reference = f"SIM-{command.ward}-{uuid.uuid4().hex[:10]}"
        now: datetime = self.clock.now()
        with self.db.session() as session:
            session.add(
                SimulatedEffect(
                    ward=command.ward,
                    kind=command.kind,
                    target=command.target,
                    reference=reference,
                    applied_at=now,
                )
            )
        detail = {"simulated": True, "applied_at": now.isoformat()}
        return ActionResult(True, reference, "", detail, simulated=True)


SIMULATED_ORIGINS = ("demo", "exercise")
"""Incidents the simulated endpoint acts for in any case (not real ones)."""


def connector_for(
    row: Connector, settings: CsirtSettings, db: Database, clock: Clock, *, origin: str = "real"
) -> ActionConnector:
    """The connector to carry out an action of an incident of ``origin`` through ``row``."""
    if row.kind == "simulated":
        if origin in SIMULATED_ORIGINS or settings.simulated_connectors == "marked":
            return SimulatedWardConnector(db, clock)
        return _Broken(
            "the simulated ward endpoint acts for demo and exercise incidents only: "
            "configure a real connector for this ward "
            '(or csirt.simulated_connectors = "marked" to simulate, marked as such)'
        )
    if row.kind == "webhook":
        try:
            secret = secret_value(settings, row.secret_name)
        except DeliveryError as exc:
            return _Broken(str(exc))
        return WebhookConnector(row.url, secret, settings.webhook_timeout_seconds)
    return _Broken(f"unknown connector kind {row.kind!r}")


@dataclass
class _Broken:
    """A connector that cannot run (e.g. its secret is not configured): says why."""

    reason: str

    def attempt(self, command: ActionCommand) -> ActionResult:
        return ActionResult(False, error=self.reason)
