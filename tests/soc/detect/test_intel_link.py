"""Threat-intelligence hits reach the alert queue through ``raise_alert`` (intel → soc)."""

from __future__ import annotations

from datetime import timedelta

from rengo.core.runtime import Runtime
from rengo.intel.hunting import _raise_soc_alerts
from rengo.intel.matching import Hit
from rengo.soc import alerts
from tests.helpers import SOC_JOINT
from tests.soc.detect.helpers import T0


def hit(ward: str, event: str, minutes: int = 0, tlp: str = "green") -> Hit:
    return Hit(
        ward=ward,
        stix_id="indicator--6f1d2c5e-0000-4000-8000-000000000001",
        name="C2 of a ransomware crew",
        kind="ipv4",
        value="203.0.113.66",
        field="dst_ip",
        event_id=event,
        event_time=T0 + timedelta(minutes=minutes),
        tlp=tlp,
    )


def test_shared_indicator_in_three_wards_is_a_campaign(env: Runtime) -> None:
    now = T0 + timedelta(hours=1)
    with env.db.session() as s:
        _raise_soc_alerts(
            s,
            env.settings,
            [hit("131016", "a1"), hit("131016", "a2", 5), hit("131024", "b1", 10)],
            now,
        )
        _raise_soc_alerts(s, env.settings, [hit("131032", "c1", 20)], now)
        ward_alerts = alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="intel")).items
        assert sorted(a.tenant for a in ward_alerts) == ["131016", "131024", "131032"]
        assert {a.indicator for a in ward_alerts} == {
            "indicator--6f1d2c5e-0000-4000-8000-000000000001"
        }
        first = next(a for a in ward_alerts if a.tenant == "131016")
        assert alerts.matched_event_ids(s, SOC_JOINT, first.public_id) == ["a1", "a2"]
        (campaign,) = alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="campaign")).items
        assert campaign.wards == ["131016", "131024", "131032"]


def test_owner_only_indicators_stay_out_of_the_queue_text(env: Runtime) -> None:
    with env.db.session() as s:
        _raise_soc_alerts(
            s, env.settings, [hit("131016", "r1", tlp="red")], T0 + timedelta(hours=1)
        )
        (alert,) = alerts.search_alerts(s, SOC_JOINT, alerts.AlertFilter(kind="intel")).items
        assert alert.indicator is None and "203.0.113.66" not in alert.rule_title
