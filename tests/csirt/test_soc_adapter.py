"""Opening incidents from real SOC alerts (``rengo.soc.alerts``), when it is installed.

The SOC's alert service lives on the soc-detect branch; until it is merged this test
skips. It raises real alerts through the SOC's own service, opens an incident from their
public ids over HTTP and checks that the SOC closed them as ``incident_opened``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from rengo.core.clock import FakeClock
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.soc.detect.settings import DetectSettings
from tests.helpers import WARD_A, WARD_B

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("rengo.soc.alerts") is None,
    reason="rengo.soc.alerts (soc-detect branch) is not merged yet",
)


def test_incident_from_soc_alerts(api: Callable[..., Any], env: Runtime, clock: FakeClock) -> None:
    from rengo.soc import alerts as soc_alerts

    first = clock.now() - timedelta(minutes=30)
    with env.db.session() as session:
        raised = soc_alerts.raise_alert(
            session,
            SYSTEM,
            env.settings.section(DetectSettings),
            ward=WARD_A,
            title="C2通信の検知",
            level="high",
            time=first,
            event_ids=["ev-1", "ev-2"],
            src_ip="198.51.100.44",
            indicator="evil.example.com",
            now=clock.now(),
        )
        [alert_id] = raised.new_alerts
        other = soc_alerts.raise_alert(
            session,
            SYSTEM,
            env.settings.section(DetectSettings),
            ward=WARD_B,
            title="B区の検知",
            level="low",
            time=first,
            event_ids=["ev-9"],
            now=clock.now(),
        )
        [other_id] = other.new_alerts
    hidden = api("POST", "/api/v1/incidents", json={"alert_ids": [other_id], "category": "other"})
    assert hidden.status_code == 422
    response = api(
        "POST", "/api/v1/incidents", json={"alert_ids": [alert_id], "category": "ransomware"}
    )
    assert response.status_code == 201, response.text
    incident = response.json()
    assert incident["title"] == "C2通信の検知" and incident["wards"] == [WARD_A]
    assert incident["occurred_at"][:16] == first.isoformat()[:16]
    found = {
        (i["kind"], i["value"])
        for i in api("GET", f"/api/v1/incidents/{incident['id']}/indicators").json()
    }
    assert {("ipv4", "198.51.100.44"), ("domain", "evil.example.com")} <= found
    with env.db.session() as session:
        alert = soc_alerts.get_alert(session, SYSTEM, alert_id)
        assert alert.status == "closed" and alert.close_reason == "incident_opened"
        assert alert.close_note == incident["ref"]
