"""rengo's municipal rule pack on the events the wards really produce."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa

from rengo.core.runtime import Runtime
from rengo.soc.detect.detector import Detector
from rengo.soc.detect.runner import load_configured_rules, load_segments
from tests.helpers import IT_A, IT_B, WARD_A, WARD_B
from tests.soc.detect.helpers import T0, engine_matches, events, sql_matches


def titles(found: list[Any]) -> list[str]:
    return sorted(d.title for d in found)


def flow(src: str, dst: str, action: str = "accept", **extra: Any) -> dict[str, Any]:
    return {"class_uid": 4001, "src_ip": src, "dst_ip": dst, "action": action, **extra}


def test_three_layer_separation_uses_each_wards_own_segments(env: Runtime, make_asset: Any) -> None:
    # Wards number their networks independently: ward A's internet segment 10.9.0.0/16
    # lies inside ward B's My Number range 10.0.0.0/12; B's LGWAN range is part of A's.
    make_asset(IT_A, segment="mynumber", ip_ranges=["10.1.0.0/16"])
    make_asset(IT_A, segment="lgwan", ip_ranges=["172.20.8.0/22"])
    make_asset(IT_A, segment="internet", ip_ranges=["10.9.0.0/16"])
    make_asset(IT_B, segment="mynumber", ip_ranges=["10.0.0.0/12"])
    make_asset(IT_B, segment="lgwan", ip_ranges=["172.20.10.0/23"])
    rules = load_configured_rules(env)
    assert not [p for p in rules.unsupported if "Traffic from the My Number" in p.title]
    table = pa.concat_tables(
        [
            events(
                flow("10.1.4.20", "203.0.113.10", event_id="a-mynumber-to-internet"),
                flow("172.20.9.7", "198.51.100.3", event_id="a-lgwan-to-internet"),
                flow("10.1.4.20", "203.0.113.10", action="deny", event_id="a-blocked"),
                flow("10.1.4.20", "10.200.0.5", event_id="a-to-private"),
                flow("10.1.4.20", "172.20.8.1", event_id="a-to-lgwan-segment"),
                flow("10.9.3.3", "203.0.113.10", event_id="a-internet-segment"),
                ward=WARD_A,
            ),
            events(
                flow("10.9.3.3", "203.0.113.10", event_id="b-mynumber-to-internet"),
                flow("172.20.9.7", "198.51.100.3", event_id="b-outside-its-lgwan"),
                flow("172.20.10.7", "198.51.100.3", event_id="b-lgwan-to-internet"),
                ward=WARD_B,
            ),
        ]
    )
    segments = load_segments(env)
    found = [
        d
        for d in Detector(rules, segments=segments).run(table)
        if d.title.startswith("Traffic from the My Number")
    ]
    assert sorted((d.ward, *d.event_ids) for d in found) == [
        (WARD_A, "a-lgwan-to-internet"),
        (WARD_A, "a-mynumber-to-internet"),
        (WARD_B, "b-lgwan-to-internet"),
        (WARD_B, "b-mynumber-to-internet"),
    ]
    assert {d.level for d in found} == {"critical"}
    separation = [r for r in rules.rules if r.title.startswith("Traffic from the My Number")]
    # The hunting SQL reads the same ranges (rengo_in_segment) and agrees.
    assert sql_matches(separation, table, segments) == engine_matches(separation, table, segments)


def test_separation_rule_is_silent_for_a_ward_without_segments(
    env: Runtime, make_asset: Any
) -> None:
    make_asset(IT_A, segment="mynumber", ip_ranges=["10.1.0.0/16"])
    rules = load_configured_rules(env)
    table = events(flow("10.1.4.20", "203.0.113.10", event_id="b-unregistered"), ward=WARD_B)
    found = Detector(rules, segments=load_segments(env)).run(table)
    assert not [d for d in found if d.title.startswith("Traffic from the My Number")]


def test_vpn_brute_force_and_logins_from_abroad(env: Runtime) -> None:
    rules = load_configured_rules(env)
    vpn = {"class_uid": 3002, "auth_protocol": "ssl-web", "src_ip": "185.220.101.47"}
    brute = [
        {**vpn, "status_id": 2, "user_name": "somu01", "time": T0 + timedelta(seconds=20 * i)}
        for i in range(10)
    ]
    abroad = [
        {
            "class_uid": 3002,
            "status_id": 1,
            "src_country": "Netherlands",
            "user_name": "kikaku02",
            "event_id": "nl",
        },
        {
            "class_uid": 3002,
            "status_id": 1,
            "src_country": "Japan",
            "user_name": "kikaku03",
            "event_id": "jp",
        },
    ]
    found = Detector(rules).run(events(*brute, *abroad))
    assert titles(found) == [
        "SSL-VPN brute force against one account",
        "Successful login from abroad",
    ]


def test_ransomware_precursors_on_a_file_server(env: Runtime) -> None:
    rules = load_configured_rules(env)
    proc = {"class_uid": 1007, "device_hostname": "fs01"}
    renamed = [
        {
            "class_uid": 1001,
            "device_hostname": "fs01",
            "file_path": f"\\\\fs01\\share\\doc{i}.xlsx.lockbit",
            "time": T0 + timedelta(seconds=i),
        }
        for i in range(50)
    ]
    found = Detector(rules).run(
        events({**proc, "process_cmd_line": "vssadmin.exe Delete Shadows /All /Quiet"}, *renamed)
    )
    names = titles(found)
    assert "Shadow copies or backups deleted on a server" in names
    assert "Mass file encryption on a file server" in names
    assert names.count("File renamed to a ransomware extension") == 50  # generate: true


def test_phishing_wave_and_encoded_powershell(env: Runtime) -> None:
    rules = load_configured_rules(env)
    mails = [
        {
            "class_uid": 4009,
            "email_from": "noreply@tax-refund.example.com",
            "email_to": f"user{i}@city.lg.jp",
            "time": T0 + timedelta(seconds=i),
        }
        for i in range(5)
    ]
    internal = [
        {
            "class_uid": 4009,
            "email_from": "kacho@city.chiyoda.lg.jp",
            "email_to": f"u{i}@city.lg.jp",
        }
        for i in range(6)
    ]
    ps = {
        "class_uid": 1007,
        "process_path": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "process_cmd_line": "powershell.exe -NoP -W Hidden -enc SQBFAFgA",
    }
    found = Detector(rules).run(events(*mails, *internal, ps))
    assert titles(found) == ["Encoded PowerShell command", "Mass mail from outside to many staff"]
