"""The CSIRT opens an incident from a real SOC alert (csirt → soc through rengo.soc.alerts)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc import alerts
from rengo.soc.alerts_ingest import ingest
from tests.helpers import SOC_JOINT, WARD_A, WARD_B, bearer
from tests.soc.detect.alert_helpers import detection
from tests.soc.detect.test_alerts import NOW, SETTINGS


def test_incident_from_alerts_closes_them_with_its_number(
    client: TestClient, env: Runtime, tokens: Any
) -> None:
    with env.db.session() as s:
        own, other = ingest(
            s,
            [detection(WARD_A, "a", src_ip="203.0.113.77"), detection(WARD_B, "b")],
            SETTINGS,
            NOW,
        ).new_alerts
    csirt_a = bearer(tokens(WARD_A, "csirt"))
    refused = client.post(
        "/api/v1/incidents", headers=csirt_a, json={"alert_ids": [other], "category": "other"}
    )
    assert refused.status_code == 422  # ward B's alert is not visible to ward A's CSIRT
    opened = client.post(
        "/api/v1/incidents", headers=csirt_a, json={"alert_ids": [own], "category": "other"}
    )
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    with env.db.session() as s:
        (alert,) = alerts.get_alerts(s, SOC_JOINT, [own])
        assert alert.status == "closed" and alert.close_reason == "incident_opened"
        assert alert.close_note == incident["ref"]
