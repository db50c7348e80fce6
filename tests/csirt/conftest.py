"""Fixtures of the CSIRT tests: a fake clock, an alert source double, API helpers.

``AlertBook`` stands in for the SOC's alerts where a test needs alerts of its own making:
it implements the ``AlertSource`` port with the same tenancy rule the SOC applies — a
ward sees its own alerts, the joint centre all. (``test_soc_adapter.py`` and the browser
test use the SOC's real alerts.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from rengo.core.permissions import SYSTEM, Principal
from rengo.core.runtime import Runtime
from rengo.csirt.alerts import AlertCounts, AlertRef
from rengo.soc import alerts as soc_alerts
from tests.helpers import WARD_A
from tests.notify.fixtures import with_fake_clock


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
    return with_fake_clock(env)


@pytest.fixture
def alert_book(app: Any) -> AlertBook:
    book = AlertBook()
    app.state.csirt_alert_source = book
    return book


@pytest.fixture
def soc_alert(app: Any, env: Runtime) -> Callable[..., str]:
    """``soc_alert(ward, title, level=, src_ip=)`` -> the public id of a real SOC alert,
    raised through ``rengo.soc.alerts`` (the app reads the SOC's own alerts)."""
    counter = itertools.count(1)

    def real(ward: str, title: str, level: str = "high", src_ip: str | None = None) -> str:
        with env.db.session() as session:
            raised = soc_alerts.raise_alert(
                session,
                SYSTEM,
                env.settings.detect,
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


@pytest.fixture
def open_incident(api: Callable[..., Any]) -> Callable[..., dict[str, Any]]:
    def make(ward: str = WARD_A, role: str = "csirt", **body: Any) -> dict[str, Any]:
        body.setdefault("title", "不審な通信")
        body.setdefault("category", "unauthorised_access")
        response = api("POST", "/api/v1/incidents", ward=ward, role=role, json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return make
