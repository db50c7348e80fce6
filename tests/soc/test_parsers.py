"""Every format on real-shaped samples, and what happens to malformed ones."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from rengo.soc.parsers import ParseError, parse_record
from tests.soc import samples

RECEIVED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def parse(record: bytes, fmt: str = "auto") -> tuple[str, dict]:
    return parse_record(fmt, record, RECEIVED)


def test_rfc5424_sshd_failure_is_authentication() -> None:
    fmt, event = parse(samples.SYSLOG_5424)
    assert fmt == "syslog"
    assert event["time"] == datetime(2026, 5, 1, 1, 0, 0, 123000, tzinfo=UTC)
    assert (event["class_uid"], event["status_id"], event["user_name"]) == (3002, 2, "admin")
    assert event["src_ip"] == "203.0.113.5" and event["src_port"] == 51515
    assert event["unmapped"]["exampleSDID@32473.eventSource"] == "Application"
    assert event["device_hostname"] == "fw01.example.jp"


def test_rfc3164_takes_year_nearest_receipt_and_jst() -> None:
    _fmt, event = parse(samples.SYSLOG_3164)
    assert event["time"] == datetime(2026, 11, 26, 10, 0, 1, tzinfo=UTC)  # 19:00 JST
    assert event["status_id"] == 1 and event["user_name"] == "alice"
    _fmt, december = parse_record(
        "syslog", b"<13>Dec 31 23:59:59 h app: x", datetime(2027, 1, 1, tzinfo=UTC)
    )
    assert december["time"].year == 2026


def test_cef_in_syslog() -> None:
    fmt, event = parse(samples.CEF)
    assert fmt == "cef"
    assert event["vendor"] == "Trend Micro" and event["class_uid"] == 4002
    assert event["url"] == "http://x.example/a?b=c"
    assert event["message"] == "test message with spaces"
    assert event["time"] == datetime(2026, 5, 1, tzinfo=UTC)  # rt wins over the header
    assert event["unmapped"]["cn1Label"] == "Host ID"


def test_fortigate_traffic_webfilter_and_sslvpn() -> None:
    _fmt, traffic = parse(samples.FORTI_TRAFFIC)
    assert (traffic["class_uid"], traffic["action"], traffic["status_id"]) == (4001, "deny", 2)
    assert traffic["protocol"] == "tcp" and traffic["dst_port"] == 443
    assert traffic["time"] == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    _fmt, web = parse(samples.FORTI_WEB)
    assert web["class_uid"] == 4002 and web["url"] == "malware.example/payload.exe"
    assert web["time"] == datetime(2026, 5, 1, 1, 1, tzinfo=UTC)  # date/time in tz JST
    _fmt, vpn = parse(samples.FORTI_VPN)
    assert (vpn["class_uid"], vpn["status_id"], vpn["user_name"]) == (3002, 2, "bob")
    assert vpn["src_ip"] == "198.51.100.7"


def test_squid() -> None:
    fmt, event = parse(samples.SQUID)
    assert fmt == "squid"
    assert (event["http_status"], event["action"], event["http_method"]) == (403, "denied", "GET")


def test_m365_login_and_mail() -> None:
    fmt, login = parse(samples.M365_LOGIN)
    assert fmt == "m365" and login["class_uid"] == 3002 and login["status_id"] == 2
    assert login["user_agent"] == "Mozilla/5.0"
    _fmt, mail = parse(samples.M365_SEND)
    assert mail["class_uid"] == 4009 and mail["email_subject"] == "請求書"


def test_winlogbeat_keeps_windows_field_names() -> None:
    fmt, event = parse(samples.WINLOGBEAT)
    assert fmt == "windows-json"
    assert event["class_uid"] == 3002 and event["status_id"] == 2
    assert event["logon_type"] == "Network"
    unmapped = event["unmapped"]
    assert unmapped["EventID"] == "4625" and unmapped["Channel"] == "Security"
    assert unmapped["TargetUserName"] == "admin" and unmapped["Computer"] == "dc01.chiyoda.local"


def test_nxlog_process_creation() -> None:
    _fmt, event = parse(samples.NXLOG)
    assert event["class_uid"] == 1007 and event["process_name"] == "cmd.exe"
    assert event["process_cmd_line"] == "cmd /c whoami"
    assert event["time"] == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
    assert event["unmapped"]["NewProcessName"].endswith("cmd.exe")


def test_generic_json_reads_nested_ocsf() -> None:
    fmt, event = parse(samples.OCSF_EMAIL)
    assert fmt == "json"
    assert (event["class_uid"], event["email_from"], event["src_ip"]) == (
        4009,
        "a@x.example",
        "1.2.3.4",
    )


def test_shipper_wrapped_line_is_parsed_inside() -> None:
    wrapped = (
        b'{"message":"'
        + samples.SQUID
        + b'","timestamp":"2026-05-01T00:00:00Z","host":"proxy1","source_type":"file"}'
    )
    fmt, event = parse(wrapped)
    assert fmt == "squid" and event["http_status"] == 403


@pytest.mark.parametrize("fmt", sorted(samples.MALFORMED))
def test_malformed_records_raise_with_a_reason(fmt: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(samples.MALFORMED[fmt], fmt)
    assert info.value.reason


HASHES = {
    "file_hash_md5": samples.MD5.lower(),
    "file_hash_sha1": samples.SHA1.lower(),
    "file_hash_sha256": samples.SHA256.lower(),
}


def _hashes(event: dict) -> dict[str, str | None]:
    return {column: event.get(column) for column in HASHES}


def test_sysmon_hashes_fill_md5_sha1_and_sha256() -> None:
    fmt, event = parse(samples.SYSMON_PROCESS)
    assert fmt == "windows-json" and event["class_uid"] == 1007
    assert event["process_name"] == "invoice.exe"
    assert _hashes(event) == HASHES  # lower case; IMPHASH has no column
    assert event["unmapped"]["Hashes"] == samples.SYSMON_HASHES  # as Sigma rules see it


def test_sysmon_hashes_of_one_algorithm_or_malformed() -> None:
    only = samples.SYSMON_PROCESS.replace(
        samples.SYSMON_HASHES.encode(), f"MD5={samples.MD5}".encode()
    )
    assert _hashes(parse(only)[1]) == {
        **dict.fromkeys(HASHES),
        "file_hash_md5": HASHES["file_hash_md5"],
    }
    # A value of the wrong length for its algorithm is not taken for a digest.
    wrong = samples.SYSMON_PROCESS.replace(
        samples.SYSMON_HASHES.encode(), f"SHA1={samples.MD5},SHA256=xyz".encode()
    )
    assert _hashes(parse(wrong)[1]) == dict.fromkeys(HASHES)


def test_winlogbeat_sysmon_module_hashes_are_put_back() -> None:
    """Winlogbeat's sysmon module replaces event_data.Hashes with hash.md5, hash.sha1, …"""
    _fmt, event = parse(samples.WINLOGBEAT_SYSMON)
    assert _hashes(event) == HASHES
    assert event["unmapped"]["Hashes"] == samples.SYSMON_HASHES


def test_nxlog_sysmon_hashes() -> None:
    record = orjson.dumps(
        {
            "EventTime": "2026-05-01 10:00:00",
            "Hostname": "pc7.chiyoda.local",
            "EventID": 7,
            "SourceName": "Microsoft-Windows-Sysmon",
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\explorer.exe",
            "ImageLoaded": "C:\\Temp\\evil.dll",
            "Hashes": samples.SYSMON_HASHES,
        }
    )
    _fmt, event = parse(record)
    assert event["class_uid"] == 1005 and event["file_path"] == "C:\\Temp\\evil.dll"
    assert _hashes(event) == HASHES


@pytest.mark.parametrize("column", sorted(HASHES))
def test_cef_file_hash_column_by_length(column: str) -> None:
    digest = HASHES[column].upper()
    _fmt, event = parse(samples.CEF + f" fileHash={digest} fname=invoice.exe".encode())
    assert _hashes(event) == {**dict.fromkeys(HASHES), column: digest.lower()}
    assert event["file_path"] == "invoice.exe" and event["unmapped"]["fileHash"] == digest


@pytest.mark.parametrize("value", ["ab" * 64, "not-a-hash", "g" * 32])
def test_cef_file_hash_of_no_known_algorithm_stays_unmapped(value: str) -> None:
    _fmt, event = parse(samples.CEF + f" fileHash={value}".encode())
    assert _hashes(event) == dict.fromkeys(HASHES)
    assert event["unmapped"]["fileHash"] == value


def test_generic_json_reads_ocsf_file_hashes() -> None:
    record = orjson.dumps(
        {
            "time": "2026-05-01T00:00:00Z",
            "class_uid": 1001,
            "activity_id": 1,
            "file": {
                "path": "C:\\Temp\\invoice.exe",
                "hashes": [
                    {"algorithm_id": 1, "algorithm": "MD5", "value": samples.MD5},
                    {"algorithm_id": 2, "algorithm": "SHA-1", "value": samples.SHA1},
                    {"algorithm_id": 3, "algorithm": "SHA-256", "value": samples.SHA256},
                    {"algorithm_id": 4, "algorithm": "SHA-512", "value": "ab" * 64},
                ],
            },
        }
    )
    fmt, event = parse(record)
    assert fmt == "json" and event["file_path"] == "C:\\Temp\\invoice.exe"
    assert _hashes(event) == HASHES


def test_each_format_module_declares_its_parser() -> None:
    """The registry finds every module's PARSER(S): listing and recognition order follow it."""
    from rengo.soc.parsers import formats
    from rengo.soc.parsers.registry import parsers

    assert list(formats()) == [
        "auto",
        "evtx",
        "windows-json",
        "syslog",
        "cef",
        "fortigate",
        "squid",
        "m365",
        "json",
    ]
    recognised = [p.name for p in parsers().values() if p.sniff is not None]
    assert recognised == ["windows-json", "cef", "fortigate", "squid", "m365"]
    assert [p.name for p in parsers().values() if p.in_syslog is not None] == ["cef", "fortigate"]
