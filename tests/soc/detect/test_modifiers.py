"""Every Sigma field modifier, checked on the engine and on the SQL rendering alike."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.soc.detect.helpers import engine_matches, events, rules_from_yaml, sql_matches, sysmon

RULE = """
title: t
id: 5d4f7d33-0000-4000-8000-000000000001
status: test
logsource:
    product: windows
    category: process_creation
detection:
{detection}
level: high
"""


def check(tmp_path: Path, detection: str, rows: list[dict], expected: list[str]) -> None:
    indented = "\n".join("    " + line for line in detection.strip().splitlines())
    rules = rules_from_yaml(tmp_path, RULE.format(detection=indented))
    assert not rules.problems and not rules.unsupported, rules.problems + rules.unsupported
    table = events(*(sysmon(1, event_id=f"e{i}", **row) for i, row in enumerate(rows)))
    assert engine_matches(rules, table).get("t", []) == expected
    assert sql_matches(rules.rules, table).get("t", []) == expected


def test_plain_value_is_case_insensitive_equality(tmp_path: Path) -> None:
    check(
        tmp_path,
        "sel:\n  Image: 'C:\\Windows\\System32\\whoami.exe'\ncondition: sel",
        [
            {"Image": "c:\\windows\\system32\\WHOAMI.EXE"},
            {"Image": "C:\\Windows\\System32\\whoami.exe.bak"},
        ],
        ["e0"],
    )


def test_contains_startswith_endswith(tmp_path: Path) -> None:
    rows = [
        {"CommandLine": "Net USER admin /add"},
        {"CommandLine": "net group"},
        {"CommandLine": "x /ADD"},
    ]
    check(tmp_path, "sel:\n  CommandLine|contains: ' user '\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  CommandLine|startswith: 'NET '\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  CommandLine|endswith: '/add'\ncondition: sel", rows, ["e0", "e2"])


def test_all_requires_every_value(tmp_path: Path) -> None:
    rows = [{"CommandLine": "a -enc b -nop"}, {"CommandLine": "a -enc b"}]
    check(
        tmp_path, "sel:\n  CommandLine|contains|all: ['-enc', '-nop']\ncondition: sel", rows, ["e0"]
    )


def test_wildcards_and_escapes_sql_specials(tmp_path: Path) -> None:
    rows = [
        {"CommandLine": "copy 100%_done"},
        {"CommandLine": "copy 100x_done"},
        {"CommandLine": "cmd a?b"},
        {"CommandLine": "cmd a*b"},
    ]
    # % and _ are plain characters in Sigma; * and ? are wildcards; \* is a literal star.
    check(tmp_path, "sel:\n  CommandLine: 'copy 100%_done'\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  CommandLine: 'cmd a?b'\ncondition: sel", rows, ["e2", "e3"])
    check(tmp_path, "sel:\n  CommandLine: 'cmd a\\*b'\ncondition: sel", rows, ["e3"])
    check(tmp_path, "sel:\n  CommandLine: 'copy*done'\ncondition: sel", rows, ["e0", "e1"])


def test_re_with_flags(tmp_path: Path) -> None:
    rows = [
        {"CommandLine": "Invoke-Mimikatz"},
        {"CommandLine": "invoke-mimikatz"},
        {"CommandLine": "line1\nMIMI"},
    ]
    check(tmp_path, "sel:\n  CommandLine|re: 'Invoke-Mimi'\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  CommandLine|re|i: 'invoke-mimi'\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  CommandLine|re|m: '^MIMI$'\ncondition: sel", rows, ["e2"])
    check(tmp_path, "sel:\n  CommandLine|re|s: 'line1.MIMI'\ncondition: sel", rows, ["e2"])


def test_re_beyond_re2_falls_back_to_python(tmp_path: Path) -> None:
    rows = [{"CommandLine": "abab"}, {"CommandLine": "abcd"}]
    check(tmp_path, "sel:\n  CommandLine|re: '(ab)\\1'\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  CommandLine|re: '^ab(?!ab)'\ncondition: sel", rows, ["e1"])


def test_cidr(tmp_path: Path) -> None:
    rows = [
        {"DestinationIp": "10.1.2.3"},
        {"DestinationIp": "172.20.0.1"},
        {"DestinationIp": "172.32.0.1"},
        {"DestinationIp": "fd00::1"},
    ]
    check(
        tmp_path,
        "sel:\n  DestinationIp|cidr: ['10.0.0.0/8', '172.16.0.0/12', 'fc00::/7']\ncondition: sel",
        rows,
        ["e0", "e1", "e3"],
    )


def test_base64_and_base64offset(tmp_path: Path) -> None:
    encoded = base64.b64encode(b"xxhttp://evil").decode()
    rows = [
        {"CommandLine": "powershell -e " + base64.b64encode(b"http://evil").decode()},
        {"CommandLine": "powershell -e " + encoded},
    ]
    check(
        tmp_path, "sel:\n  CommandLine|base64|contains: 'http://evil'\ncondition: sel", rows, ["e0"]
    )
    exact = [{"CommandLine": base64.b64encode(b"http://evil").decode()}, *rows]
    check(tmp_path, "sel:\n  CommandLine|base64: 'http://evil'\ncondition: sel", exact, ["e0"])
    check(
        tmp_path,
        "sel:\n  CommandLine|base64offset|contains: 'http://evil'\ncondition: sel",
        rows,
        ["e0", "e1"],
    )


def test_wide_utf16_base64(tmp_path: Path) -> None:
    text = "Invoke-Expression"
    rows = [
        {"CommandLine": "-enc " + base64.b64encode(text.encode("utf-16-le")).decode()},
        {"CommandLine": "-enc " + base64.b64encode(text.encode("utf-16-be")).decode()},
        {"CommandLine": "-enc " + base64.b64encode(text.encode()).decode()},
    ]
    # UTF-16BE text is UTF-16LE text shifted by one byte, so base64offset finds both.
    check(
        tmp_path,
        "sel:\n  CommandLine|wide|base64offset|contains: 'Invoke-Expression'\ncondition: sel",
        rows,
        ["e0", "e1"],
    )
    check(
        tmp_path,
        "sel:\n  CommandLine|utf16le|base64|contains: 'Invoke-Expression'\ncondition: sel",
        rows,
        ["e0"],
    )
    check(
        tmp_path,
        "sel:\n  CommandLine|utf16be|base64|contains: 'Invoke-Expression'\ncondition: sel",
        rows,
        ["e1"],
    )
    check(
        tmp_path,
        "sel:\n  CommandLine|base64|contains: 'Invoke-Expression'\ncondition: sel",
        rows,
        ["e2"],
    )


def test_windash(tmp_path: Path) -> None:
    rows = [
        {"CommandLine": "x -exec bypass"},
        {"CommandLine": "x /exec bypass"},
        {"CommandLine": "x \u2013exec bypass"},
        {"CommandLine": "x exec bypass"},
    ]
    check(
        tmp_path,
        "sel:\n  CommandLine|windash|contains: ' -exec '\ncondition: sel",
        rows,
        ["e0", "e1", "e2"],
    )


def test_cased(tmp_path: Path) -> None:
    rows = [{"CommandLine": "CreateObject"}, {"CommandLine": "createobject"}]
    check(
        tmp_path, "sel:\n  CommandLine|cased|contains: 'CreateObject'\ncondition: sel", rows, ["e0"]
    )


def test_exists_and_null(tmp_path: Path) -> None:
    rows = [{"Hashes": "SHA256=aa"}, {"Hashes": ""}, {}]
    check(tmp_path, "sel:\n  Hashes|exists: true\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  Hashes|exists: false\ncondition: sel", rows, ["e2"])
    check(tmp_path, "sel:\n  Hashes: null\ncondition: sel", rows, ["e2"])
    check(tmp_path, "sel:\n  Hashes: ''\ncondition: sel", rows, ["e1"])


def test_not_over_missing_field_is_true(tmp_path: Path) -> None:
    rows = [
        {"Image": "a.exe", "User": "SYSTEM"},
        {"Image": "a.exe"},
        {"Image": "b.exe", "User": "bob"},
    ]
    check(
        tmp_path,
        "sel:\n  Image: 'a.exe'\nfilter:\n  User: 'system'\ncondition: sel and not filter",
        rows,
        ["e1"],
    )


def test_expand_placeholders(tmp_path: Path) -> None:
    rule = RULE.format(
        detection="    sel:\n        Computer|expand: '%admin_hosts%'\n    condition: sel"
    )
    (tmp_path / "r.yml").write_text(rule, "utf-8")
    from rengo.soc.detect.rules import load_rules

    missing = load_rules([tmp_path])
    assert not missing.rules and "admin_hosts" in missing.unsupported[0].message
    found = load_rules([tmp_path], placeholders={"admin_hosts": ["ADM-01", "adm-02"]})
    table = events(sysmon(1, Computer="adm-01"), sysmon(1, Computer="pc-7"))
    from tests.soc.detect.helpers import engine_matches

    assert engine_matches(found, table) == {"t": ["e0"]}


def test_numeric_comparisons(tmp_path: Path) -> None:
    rows = [{"Size": "10"}, {"Size": "100"}, {"Size": "abc"}, {}]
    check(tmp_path, "sel:\n  Size|gt: 10\ncondition: sel", rows, ["e1"])
    check(tmp_path, "sel:\n  Size|gte: 10\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  Size|lt: 100\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  Size|lte: 100\ncondition: sel", rows, ["e0", "e1"])


def test_fieldref(tmp_path: Path) -> None:
    rows = [
        {"Image": "C:\\a.exe", "ParentImage": "c:\\A.EXE"},
        {"Image": "C:\\a.exe", "ParentImage": "C:\\b.exe"},
        {"Image": "C:\\a.exe"},
    ]
    check(tmp_path, "sel:\n  Image|fieldref: ParentImage\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  Image|fieldref: ParentImage\ncondition: not sel", rows, ["e1", "e2"])


def test_fieldref_startswith_endswith(tmp_path: Path) -> None:
    rows = [
        {"CommandLine": "c:\\a.exe -x", "Image": "C:\\A.exe"},
        {"CommandLine": "run c:\\a.exe", "Image": "c:\\a.exe"},
    ]
    check(tmp_path, "sel:\n  CommandLine|fieldref|startswith: Image\ncondition: sel", rows, ["e0"])
    check(tmp_path, "sel:\n  CommandLine|fieldref|endswith: Image\ncondition: sel", rows, ["e1"])


def test_timestamp_parts(tmp_path: Path) -> None:
    # events() spaces rows one second apart from 09:00 UTC on 2026-04-01 (a Wednesday, ISO week 14).
    rows = [{"Image": "x"}, {"Image": "y"}]
    check(tmp_path, "sel:\n  time|hour: 9\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  time|minute: 0\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  time|hour: 10\ncondition: sel", rows, [])
    check(tmp_path, "sel:\n  time|day: 1\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  time|week: 14\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  time|month: 4\ncondition: sel", rows, ["e0", "e1"])
    check(tmp_path, "sel:\n  time|year: 2026\ncondition: sel", rows, ["e0", "e1"])


def test_keywords_search_every_value(tmp_path: Path) -> None:
    rows = [{"Data": "... Mimikatz ..."}, {"Image": "x"}, {"Other": "a%b"}]
    check(tmp_path, "keywords:\n  - 'mimikatz'\n  - 'a%b'\ncondition: keywords", rows, ["e0", "e2"])


def test_one_of_and_all_of(tmp_path: Path) -> None:
    rows = [{"Image": "a", "User": "u"}, {"Image": "a"}, {"User": "u"}, {}]
    detection = "sel_1:\n  Image: a\nsel_2:\n  User: u\ncondition: {}"
    check(tmp_path, detection.format("1 of sel_*"), rows, ["e0", "e1", "e2"])
    check(tmp_path, detection.format("all of sel_*"), rows, ["e0"])


@pytest.mark.parametrize("value", ["50%", "a_b", "it's", "a\\b"])
def test_special_characters_survive(tmp_path: Path, value: str) -> None:
    rows = [{"CommandLine": value}, {"CommandLine": value + "x"}]
    escaped = value.replace("'", "''")
    check(tmp_path, f"sel:\n  CommandLine: '{escaped}'\ncondition: sel", rows, ["e0"])
