"""Correlation rules: each type, its sliding window at the edges, group-by and aliases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from rengo.soc.detect.detector import Detector
from tests.soc.detect.helpers import T0, events, rules_from_yaml

FAILED_LOGIN = """
title: VPN login failed
id: 0b0e0000-0000-4000-8000-000000000001
name: vpn_failed
status: test
logsource: {product: rengo, category: authentication}
detection:
    sel: {status_id: 2}
    condition: sel
level: low
"""
SUCCESS_LOGIN = """
title: VPN login succeeded
id: 0b0e0000-0000-4000-8000-000000000002
name: vpn_ok
status: test
logsource: {product: rengo, category: authentication}
detection:
    sel: {status_id: 1}
    condition: sel
level: low
"""


def correlation(
    kind: str,
    timespan: str,
    condition: str,
    group_by: str = "[src_ip]",
    rules: str = "[vpn_failed]",
    extra: str = "",
) -> str:
    return f"""
title: C
id: 0b0e0000-0000-4000-8000-0000000000ff
status: test
correlation:
    type: {kind}
    rules: {rules}
    group-by: {group_by}
    timespan: {timespan}
    {condition}
    {extra}
level: high
"""


def login(
    seconds: float,
    status: int = 2,
    src: str = "203.0.113.9",
    user: str = "taro",
    ward: str = "131016",
) -> dict:
    return {
        "time": T0 + timedelta(seconds=seconds),
        "class_uid": 3002,
        "status_id": status,
        "src_ip": src,
        "user_name": user,
        "ward": ward,
    }


def detect(tmp_path: Path, rule: str, rows: list[dict], flush: bool = True):  # type: ignore[no-untyped-def]
    rules = rules_from_yaml(tmp_path, FAILED_LOGIN, SUCCESS_LOGIN, rule)
    assert not rules.problems and not rules.unsupported, rules.problems + rules.unsupported
    detector = Detector(rules)
    found = [d for d in detector.run(events(*rows)) if d.kind == "correlation"]
    if flush:
        found += detector.flush()
    return found


def test_event_count_fires_inside_the_window(tmp_path: Path) -> None:
    rule = correlation("event_count", "1m", "condition: {gte: 3}")
    # three failures within 60 s (0, 30, 60: the window [t-60s, t] includes both ends)
    hits = detect(tmp_path, rule, [login(0), login(30), login(60)])
    assert len(hits) == 1 and len(hits[0].event_ids) == 3
    assert hits[0].group == {"src_ip": "203.0.113.9"} and hits[0].ward == "131016"


def test_event_count_just_outside_the_window_does_not_fire(tmp_path: Path) -> None:
    rule = correlation("event_count", "1m", "condition: {gte: 3}")
    assert detect(tmp_path, rule, [login(0), login(30), login(60.001)]) == []


def test_event_count_slides(tmp_path: Path) -> None:
    rule = correlation("event_count", "1m", "condition: {gte: 3}")
    # 0 and 50 are too far from 115; 50, 100, 110 are within 60 s -> one alert, at 110
    hits = detect(tmp_path, rule, [login(0), login(50), login(100), login(110)])
    assert [d.last_time for d in hits] == [T0 + timedelta(seconds=110)]
    assert len(hits[0].event_ids) == 3


def test_event_count_groups_and_wards_apart(tmp_path: Path) -> None:
    rule = correlation("event_count", "5m", "condition: {gte: 2}")
    rows = [
        login(0, src="a"),
        login(1, src="b"),
        login(2, src="a", ward="131024"),
        login(3, src="c"),
    ]
    assert detect(tmp_path, rule, rows) == []
    rows.append(login(4, src="b"))
    hits = detect(tmp_path, rule, rows)
    assert [h.group["src_ip"] for h in hits] == ["b"]


def test_event_count_lt_judges_closed_windows(tmp_path: Path) -> None:
    rule = correlation("event_count", "1m", "condition: {lt: 2}", rules="[vpn_ok]")
    rows = [login(0, status=1, src="x"), login(10, status=1, src="y"), login(20, status=1, src="y")]
    hits = detect(tmp_path, rule, rows)
    assert [h.group["src_ip"] for h in hits] == ["x"]
    assert detect(tmp_path, rule, rows, flush=False) == []


def test_value_count_counts_distinct_values(tmp_path: Path) -> None:
    rule = correlation("value_count", "10m", "condition: {field: user_name, gte: 3}")
    spray = [login(i * 60, user=u) for i, u in enumerate(["a", "b", "b", "c"])]
    hits = detect(tmp_path, rule, spray)
    assert len(hits) == 1 and hits[0].last_time == T0 + timedelta(seconds=180)
    assert (
        detect(tmp_path, rule, [login(0, user="a"), login(1, user="b"), login(601.5, user="c")])
        == []
    )


def test_temporal_needs_every_rule_in_the_window(tmp_path: Path) -> None:
    rule = correlation("temporal", "2m", "", group_by="[user_name]", rules="[vpn_failed, vpn_ok]")
    assert len(detect(tmp_path, rule, [login(0), login(120, status=1)])) == 1
    assert detect(tmp_path, rule, [login(0), login(120.5, status=1)]) == []
    # order does not matter for temporal
    assert len(detect(tmp_path, rule, [login(0, status=1), login(5)])) == 1


def test_temporal_ordered_needs_the_order(tmp_path: Path) -> None:
    rule = correlation(
        "temporal_ordered", "2m", "", group_by="[user_name]", rules="[vpn_failed, vpn_ok]"
    )
    assert len(detect(tmp_path, rule, [login(0), login(60, status=1)])) == 1
    assert detect(tmp_path, rule, [login(0, status=1), login(60)]) == []


def test_aliases_group_on_differently_named_fields(tmp_path: Path) -> None:
    extra = "aliases:\n        who:\n            vpn_failed: user_name\n            vpn_ok: src_ip"
    rule = correlation(
        "temporal", "5m", "", group_by="[who]", rules="[vpn_failed, vpn_ok]", extra=extra
    )
    rows = [login(0, user="10.0.0.1", src="z"), login(10, status=1, src="10.0.0.1", user="q")]
    hits = detect(tmp_path, rule, rows)
    assert len(hits) == 1 and hits[0].group == {"who": "10.0.0.1"}


def test_windows_continue_across_batches(tmp_path: Path) -> None:
    rules = rules_from_yaml(
        tmp_path,
        FAILED_LOGIN,
        SUCCESS_LOGIN,
        correlation("event_count", "1m", "condition: {gte: 3}"),
    )
    first = Detector(rules)
    assert first.run(events(login(0), login(20))) == []
    # the state survives a restart of the detector
    second = Detector(rules)
    second.correlator.load_json(first.correlator.to_json())
    hits = [d for d in second.run(events(login(40))) if d.kind == "correlation"]
    assert len(hits) == 1 and len(hits[0].event_ids) == 3


def test_base_rules_of_a_correlation_stay_silent(tmp_path: Path) -> None:
    rules = rules_from_yaml(
        tmp_path,
        FAILED_LOGIN,
        SUCCESS_LOGIN,
        correlation("event_count", "1m", "condition: {gte: 3}"),
    )
    found = Detector(rules).run(events(login(0), login(1, status=1)))
    assert [d.title for d in found] == ["VPN login succeeded"]


def test_correlation_alerts_keep_the_events_origin(tmp_path: Path) -> None:
    rules = rules_from_yaml(
        tmp_path,
        FAILED_LOGIN,
        SUCCESS_LOGIN,
        correlation("event_count", "1m", "condition: {gte: 2}"),
    )
    rows = [{**login(0), "origin": "exercise"}, {**login(1), "origin": "exercise"}]
    (hit,) = [d for d in Detector(rules).run(events(*rows)) if d.kind == "correlation"]
    assert hit.origin == "exercise"


def test_extended_temporal_condition_without_negation_fires_at_once(tmp_path: Path) -> None:
    rule = correlation(
        "temporal",
        "2m",
        "condition: vpn_failed or vpn_ok",
        group_by="[user_name]",
        rules="[vpn_failed, vpn_ok]",
    )
    hits = detect(tmp_path, rule, [login(0)], flush=False)
    assert len(hits) == 1 and hits[0].event_ids == hits[0].event_ids[:1]


def test_extended_temporal_condition_with_not_judges_closed_windows(tmp_path: Path) -> None:
    # A failure not followed by a success within two minutes (an account left locked out).
    rule = correlation(
        "temporal",
        "2m",
        "condition: vpn_failed and not vpn_ok",
        group_by="[user_name]",
        rules="[vpn_failed, vpn_ok]",
    )
    rows = [login(0, user="hanako"), login(60, status=1, user="hanako"), login(10, user="jiro")]
    hits = detect(tmp_path, rule, rows)
    assert [h.group["user_name"] for h in hits] == ["jiro"]
    assert detect(tmp_path, rule, rows, flush=False) == []  # absence is known when it closes
    late = detect(tmp_path, rule, [login(0, user="ken"), login(120.5, status=1, user="ken")])
    assert [h.group["user_name"] for h in late] == ["ken"]  # the success came too late


def test_extended_condition_naming_an_unlisted_rule_is_reported(tmp_path: Path) -> None:
    rule = correlation(
        "temporal",
        "2m",
        "condition: vpn_failed and not vpn_ok",
        group_by="[user_name]",
        rules="[vpn_failed]",
    )
    rules = rules_from_yaml(tmp_path, FAILED_LOGIN, SUCCESS_LOGIN, rule)
    (problem,) = rules.problems  # pySigma refuses the file: an error naming file:line
    assert problem.location.endswith("rule2.yml:10") and "vpn_ok" in problem.message


def test_extended_condition_elsewhere_is_refused_with_the_reason(tmp_path: Path) -> None:
    ordered = correlation(
        "temporal_ordered", "2m", "condition: vpn_failed and vpn_ok", rules="[vpn_failed, vpn_ok]"
    )
    counted = correlation(
        "event_count", "2m", "condition: vpn_failed and vpn_ok", rules="[vpn_failed, vpn_ok]"
    )
    ruleset = rules_from_yaml(tmp_path, FAILED_LOGIN, SUCCESS_LOGIN, ordered)
    assert [p.message for p in ruleset.unsupported] == [
        "an extended (boolean) condition on a temporal_ordered correlation has no defined "
        "meaning here (rengo runs them on temporal correlations)"
    ]
    (tmp_path / "rule2.yml").write_text(counted, "utf-8")
    ruleset = rules_from_yaml(tmp_path, FAILED_LOGIN, SUCCESS_LOGIN, counted)
    (problem,) = ruleset.problems  # pySigma itself fails on it: still an error, not a crash
    assert problem.location.endswith("rule2.yml:1") and "pySigma cannot read" in problem.message
