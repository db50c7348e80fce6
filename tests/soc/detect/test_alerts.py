"""The alert queue on SQLite and PostgreSQL: grouping, idempotency, tuning, suppressions,
campaigns across wards, triage, external alerts, and tenancy over the HTTP API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rengo.core.errors import InvalidInput, NotFound
from rengo.core.runtime import Runtime
from rengo.soc import alerts, alerts_tuning
from rengo.soc.alerts_ingest import ingest
from rengo.soc.detect.settings import DetectSettings
from tests.helpers import ADMIN_JOINT, IT_A, IT_B, SOC_JOINT, WARD_A, WARD_B, bearer
from tests.soc.detect.alert_helpers import detection
from tests.soc.detect.helpers import T0

SETTINGS = DetectSettings()
NOW = T0 + timedelta(hours=1)


def test_detections_group_into_one_alert_and_rerun_changes_nothing(env: Runtime) -> None:
    batch = [detection(minutes=m, event=f"e{m}") for m in (0, 10, 50)]
    with env.db.session() as s:
        first = ingest(s, batch, SETTINGS, NOW)
        again = ingest(s, batch, SETTINGS, NOW)
        (alert,) = alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter()).items
        assert len(first.new_alerts) == 1 and again.new_alerts == []
        assert alert.event_count == 3 and alert.public_id.startswith("ALR-20260401-")
        assert alerts.matched_event_ids(s, SOC_JOINT, alert.public_id) == ["e0", "e10", "e50"]
        # another host, and the same host after the grouping window, are new alerts
        later = ingest(
            s, [detection(host="pc-2"), detection(minutes=200, event="late")], SETTINGS, NOW
        )
        assert len(later.new_alerts) == 2


def test_closed_alert_is_not_reused(env: Runtime) -> None:
    with env.db.session() as s:
        (public_id,) = ingest(s, [detection()], SETTINGS, NOW).new_alerts
        with pytest.raises(InvalidInput):
            alerts.set_status(s, SOC_JOINT, public_id, "closed", now=NOW)  # no reason
        closed = alerts.set_status(
            s, SOC_JOINT, public_id, "closed", reason="false_positive", note="scanner", now=NOW
        )
        assert closed.status == "closed" and closed.close_reason == "false_positive"
        assert len(ingest(s, [detection(minutes=5, event="x")], SETTINGS, NOW).new_alerts) == 1
        history = alerts.history(s, SOC_JOINT, closed)
        assert [h.action for h in history] == ["closed"] and history[0].detail["note"] == "scanner"


def test_rule_disabled_or_relevelled_per_ward(env: Runtime) -> None:
    with env.db.session() as s:
        alerts_tuning.set_rule(s, IT_A, "r-1", ward=None, enabled=False, now=NOW)
        alerts_tuning.set_rule(s, IT_B, "r-1", ward=None, enabled=True, level="low", now=NOW)
        result = ingest(s, [detection(WARD_A), detection(WARD_B)], SETTINGS, NOW)
        assert result.disabled == 1
        (alert,) = alerts.get_alerts(s, SOC_JOINT, result.new_alerts)
        assert alert.tenant == WARD_B and alert.level == "low"
        with pytest.raises(Exception, match="may not"):
            alerts_tuning.set_rule(s, IT_A, "r-1", ward=WARD_B, enabled=False, now=NOW)


def test_suppression_expires_and_needs_a_reason(env: Runtime) -> None:
    with env.db.session() as s:
        with pytest.raises(InvalidInput):
            alerts_tuning.suppress(
                s, IT_A, reason=" ", expires_at=NOW + timedelta(days=1), now=NOW, rule_id="r-1"
            )
        alerts_tuning.suppress(
            s,
            IT_A,
            reason="pen test",
            expires_at=NOW + timedelta(hours=2),
            now=NOW,
            rule_id="r-1",
            field="host",
            value="PC-1",
        )
        result = ingest(s, [detection(), detection(host="pc-9")], SETTINGS, NOW)
        assert result.suppressed == 1 and len(result.new_alerts) == 1
        # after the expiry the same detection is an alert again
        after = ingest(s, [detection(minutes=1, event="y")], SETTINGS, NOW + timedelta(hours=3))
        assert len(after.new_alerts) == 1


def test_campaign_needs_three_wards_within_the_window(env: Runtime) -> None:
    wards = ["131016", "131024", "131032", "131041"]
    with env.db.session() as s:
        two = ingest(
            s, [detection(w, "spray", src_ip="198.51.100.7") for w in wards[:2]], SETTINGS, NOW
        )
        assert two.campaigns == []
        # a third ward more than an hour later does not make a campaign
        late = ingest(
            s, [detection(wards[2], "spray", minutes=61, src_ip="198.51.100.7")], SETTINGS, NOW
        )
        assert late.campaigns == []
        third = ingest(
            s, [detection(wards[3], "spray", minutes=30, src_ip="198.51.100.7")], SETTINGS, NOW
        )
        (campaign_id,) = third.campaigns
        (campaign,) = alerts.get_alerts(s, SOC_JOINT, [campaign_id])
        assert campaign.tenant == "joint" and campaign.kind == "campaign"
        assert campaign.wards == sorted(["131016", "131024", "131032", "131041"])
        assert campaign.level == "high"
        members = alerts.campaign_members(s, SOC_JOINT, campaign)
        assert {m.tenant for m in members} == set(campaign.wards)
        # one campaign, not one per key (rule and source both crossed the threshold)
        assert alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="campaign")).total == 1
        # a ward sees its own alert, not the campaign
        assert alerts.get_alerts(s, IT_A, [campaign_id]) == []
        with pytest.raises(NotFound):
            alerts.get_alert(s, IT_A, campaign_id)


def test_campaign_settings_are_honoured(env: Runtime) -> None:
    settings = DetectSettings(campaign_min_wards=2, campaign_window_minutes=5)
    with env.db.session() as s:
        result = ingest(
            s, [detection(WARD_A, "x"), detection(WARD_B, "x", minutes=4)], settings, NOW
        )
        assert len(result.campaigns) == 1


def test_external_detector_goes_through_the_same_queue(env: Runtime) -> None:
    with env.db.session() as s:
        kwargs: dict[str, Any] = dict(
            title="Known C2 address seen",
            level="high",
            time=T0,
            source="intel",
            indicator="indicator--5f2c",
            src_ip="203.0.113.5",
            now=NOW,
        )
        first = alerts.raise_alert(
            s, ADMIN_JOINT, SETTINGS, ward=WARD_A, event_ids=["ev-1"], **kwargs
        )
        again = alerts.raise_alert(
            s, ADMIN_JOINT, SETTINGS, ward=WARD_A, event_ids=["ev-2"], **kwargs
        )
        assert len(first.new_alerts) == 1 and again.updated_alerts == first.new_alerts
        (alert,) = alerts.get_alerts(s, SOC_JOINT, first.new_alerts)
        assert (
            alert.kind == "intel"
            and alert.indicator == "indicator--5f2c"
            and alert.event_count == 2
        )
        with pytest.raises(Exception, match="may not"):
            alerts.raise_alert(s, IT_A, SETTINGS, ward=WARD_A, event_ids=["e"], **kwargs)
        for ward in ("131032", "131041"):
            alerts.raise_alert(
                s, ADMIN_JOINT, SETTINGS, ward=ward, event_ids=[f"ev-{ward}"], **kwargs
            )
        assert alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="campaign")).total == 1


def test_filters(env: Runtime) -> None:
    with env.db.session() as s:
        ingest(
            s,
            [detection(WARD_A, "a", level="critical"), detection(WARD_B, "b", level="low")],
            SETTINGS,
            NOW,
        )

        def find(**kw: Any) -> list[str]:
            return [
                a.rule_id
                for a in alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(**kw)).items
            ]

        assert find(ward=WARD_B) == ["b"]
        assert find(min_level="high") == ["a"]
        assert sorted(find(technique="t1110")) == ["a", "b"]
        assert find(technique="T1059") == []
        assert find(rule="Rule a") == ["a"]
        assert find(status="closed") == []
        with pytest.raises(InvalidInput):
            find(level="urgent")


def test_api_tenancy_and_triage(client: TestClient, env: Runtime, tokens: Any) -> None:
    with env.db.session() as s:
        ids = ingest(
            s, [detection(WARD_A, "a", src_ip="192.0.2.1"), detection(WARD_B, "b")], SETTINGS, NOW
        ).new_alerts
    own, other = ids
    ward_a = bearer(tokens(WARD_A, "ward_it"))
    listing = client.get("/api/v1/soc/alerts", headers=ward_a).json()
    assert [a["public_id"] for a in listing["items"]] == [own]
    assert client.get(f"/api/v1/soc/alerts/{other}", headers=ward_a).status_code == 404
    assert (
        client.get("/api/v1/soc/alerts", params={"ward": WARD_B}, headers=ward_a).status_code == 403
    )
    detail = client.get(f"/api/v1/soc/alerts/{own}", headers=ward_a).json()
    assert detail["event_ids"] == [f"{WARD_A}-a-0"] and detail["ward"] == WARD_A
    closed = client.post(
        f"/api/v1/soc/alerts/{own}/status",
        headers=ward_a,
        json={"status": "closed", "reason": "benign", "note": "admin test"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    bad = client.post(f"/api/v1/soc/alerts/{own}/status", headers=ward_a, json={"status": "closed"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["location"] == "field reason"
    joint = bearer(tokens("joint", "soc_analyst"))
    assert client.get("/api/v1/soc/alerts", headers=joint).json()["total"] == 2
    suppressed = client.post(
        f"/api/v1/soc/alerts/{own}/suppress",
        headers=ward_a,
        json={"reason": "lab", "expires_at": "2099-01-01T00:00:00Z", "field": "src_ip"},
    )
    assert suppressed.status_code == 201 and suppressed.json()["value"] == "192.0.2.1"
    assert client.get("/api/v1/soc/alerts/ALR-1-x", headers=joint).status_code == 422


def test_api_rules_tuning_and_suppressions(client: TestClient, env: Runtime, tokens: Any) -> None:
    ward_a = bearer(tokens(WARD_A, "ward_it"))
    rules = client.get("/api/v1/soc/rules", headers=ward_a).json()
    titles = {r["title"] for r in rules["rules"]}
    assert "SSL-VPN password spraying" in titles
    # Segments are each ward's, read at run time: the rule runs before any is registered.
    assert "Traffic from the My Number or LGWAN segment to the internet" in titles
    off = client.put(
        "/api/v1/soc/rule-settings/r-1", headers=ward_a, json={"enabled": False, "note": "noisy"}
    )
    assert off.status_code == 200 and off.json()["ward"] == WARD_A
    other = client.put(
        "/api/v1/soc/rule-settings/r-1", headers=ward_a, json={"ward": WARD_B, "enabled": False}
    )
    assert other.status_code == 403
    with env.db.session() as s:
        result = ingest(s, [detection(WARD_A), detection(WARD_B)], SETTINGS, NOW)
        assert result.disabled == 1
        (alert_b,) = alerts.get_alerts(s, SOC_JOINT, result.new_alerts)
    joint = bearer(tokens("joint", "soc_analyst"))
    created = client.post(
        f"/api/v1/soc/alerts/{alert_b.public_id}/suppress",
        headers=joint,
        json={"reason": "pen test", "expires_at": "2099-01-01T00:00:00Z", "field": "host"},
    )
    assert created.status_code == 201
    suppression_id = created.json()["id"]
    assert [s["id"] for s in client.get("/api/v1/soc/suppressions", headers=joint).json()] == [
        suppression_id
    ]
    assert client.get("/api/v1/soc/suppressions", headers=ward_a).json() == []
    assert (
        client.delete(f"/api/v1/soc/suppressions/{suppression_id}", headers=ward_a).status_code
        == 404
    )
    ended = client.delete(f"/api/v1/soc/suppressions/{suppression_id}", headers=joint)
    assert (
        ended.status_code == 200
        and client.get("/api/v1/soc/suppressions", headers=joint).json() == []
    )


def test_external_alerts_without_a_shared_indicator_make_no_campaign(env: Runtime) -> None:
    with env.db.session() as s:
        for ward in ("131016", "131024", "131032"):
            alerts.raise_alert(
                s,
                ADMIN_JOINT,
                SETTINGS,
                ward=ward,
                title="Your ward's own indicator seen",
                level="high",
                time=T0,
                event_ids=[f"e-{ward}"],
                source="intel",
                rule_id="intel:own",
                now=NOW,
            )
        assert alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="campaign")).total == 0
