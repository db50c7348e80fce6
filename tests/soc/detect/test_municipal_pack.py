"""rengo's municipal rule pack on the events the wards really produce."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rengo.core.runtime import Runtime
from rengo.soc.detect.detector import Detector
from rengo.soc.detect.runner import load_configured_rules
from tests.helpers import IT_A, IT_B
from tests.soc.detect.helpers import T0, events


def titles(found: list[Any]) -> list[str]:
    return sorted(d.title for d in found)


def flow(src: str, dst: str, action: str = "accept", **extra: Any) -> dict[str, Any]:
    return {"class_uid": 4001, "src_ip": src, "dst_ip": dst, "action": action, **extra}


def test_three_layer_separation_uses_the_asset_register(env: Runtime, make_asset: Any) -> None:
    make_asset(IT_A, segment="mynumber", ip_ranges=["10.1.0.0/16"])
    make_asset(IT_B, segment="lgwan", ip_ranges=["172.20.8.0/22"])
    make_asset(IT_A, segment="internet", ip_ranges=["10.9.0.0/16"])
    rules = load_configured_rules(env)
    assert not [p for p in rules.unsupported if "segment" in p.message]
    table = events(
        flow("10.1.4.20", "203.0.113.10", event_id="mynumber-to-internet"),
        flow("172.20.9.7", "198.51.100.3", event_id="lgwan-to-internet"),
        flow("10.1.4.20", "203.0.113.10", action="deny", event_id="blocked"),
        flow("10.1.4.20", "10.200.0.5", event_id="to-private"),
        flow("10.1.4.20", "172.20.8.1", event_id="to-lgwan-segment"),
        flow("10.9.3.3", "203.0.113.10", event_id="internet-segment"),
    )
    found = [
        d for d in Detector(rules).run(table) if d.title.startswith("Traffic from the My Number")
    ]
    assert sorted(e for d in found for e in d.event_ids) == [
        "lgwan-to-internet",
        "mynumber-to-internet",
    ]
    assert {d.level for d in found} == {"critical"}


def test_separation_rule_waits_for_the_register(env: Runtime) -> None:
    rules = load_configured_rules(env)
    (reason,) = [p.message for p in rules.unsupported if "Traffic from the My Number" in p.title]
    assert "asset register" in reason


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
        {"class_uid": 1001, "device_hostname": "fs01", "file_path": f"\\\\fs01\\share\\doc{i}.xlsx.lockbit",
         "time": T0 + timedelta(seconds=i)}
        for i in range(50)
    ]  # fmt: skip
    found = Detector(rules).run(
        events({**proc, "process_cmd_line": "vssadmin.exe Delete Shadows /All /Quiet"}, *renamed)
    )
    names = titles(found)
    assert "Shadow copies or backups deleted on a server" in names
    assert "Mass file encryption on a file server" in names
    assert names.count("File renamed to a ransomware extension") == 50  # generate: true


def test_phishing_wave_and_encoded_powershell(env: Runtime) -> None:
    rules = load_configured_rules(env)
    mails = [{"class_uid": 4009, "email_from": "noreply@tax-refund.example.com", "email_to": f"user{i}@city.lg.jp",
              "time": T0 + timedelta(seconds=i)} for i in range(5)]  # fmt: skip
    internal = [
        {
            "class_uid": 4009,
            "email_from": "kacho@city.chiyoda.lg.jp",
            "email_to": f"u{i}@city.lg.jp",
        }
        for i in range(6)
    ]
    ps = {"class_uid": 1007, "process_path": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
          "process_cmd_line": "powershell.exe -NoP -W Hidden -enc SQBFAFgA"}  # fmt: skip
    found = Detector(rules).run(events(*mails, *internal, ps))
    assert titles(found) == ["Encoded PowerShell command", "Mass mail from outside to many staff"]
