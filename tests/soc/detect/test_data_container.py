"""Sigma's ``Data``: a field of its own and "the container for the event data as a whole".

SigmaHQ's ESENT and PowerShell classic rules match ``Data`` against events whose
EventData is several unnamed ``<Data>`` elements, one of them ``key=value`` lines. The
cases run through the real Windows parser (EVTX JSON as the ``evtx`` package renders it)
and are checked on the engine and on the SQL rendering alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from rengo.soc.detect.evtx_input import evtx_table
from rengo.soc.detect.rules import load_rules
from rengo.soc.parsers.windows import parse_windows_json
from rengo.soc.schema import EVENT_SCHEMA
from tests.soc.detect.helpers import engine_matches, rules_from_yaml, sql_matches

NTDSUTIL = "evtx/EVTX-ATTACK-SAMPLES/Credential Access/dc_applog_ntdsutil_dfir_325_326_327.evtx"
HOST_ID = "b5a7f5f6-3e1c-4f4e-9f35-7c0e2f6c1d11"


def _evtx_json(event_id: int, data: list[str] | dict[str, str], record: int) -> dict[str, Any]:
    # The evtx package renders unnamed <Data> as one list, named ones as keys of EventData.
    event_data = {"Data": {"#text": data}} if isinstance(data, list) else data
    return {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "PowerShell"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": event_id},
                "Level": 4,
                "Task": 4,
                "Keywords": "0x80000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-04-01T09:00:00.000000Z"}},
                "EventRecordID": record,
                "Channel": "Windows PowerShell",
                "Computer": "ws01.city.example.lg.jp",
            },
            "EventData": event_data,
        }
    }


def _table(*records: dict[str, Any]) -> pa.Table:
    rows = []
    for index, record in enumerate(records):
        event = parse_windows_json(record)
        event.update(event_id=f"e{index}", ward="131016", origin="real", source="t.evtx")
        rows.append(event)
    return pa.Table.from_struct_array(pa.array(rows, type=pa.struct(list(EVENT_SCHEMA))))


def _state_lines(host_application: str | None, **first: str) -> str:
    """The third <Data> of PowerShell classic events: the engine's state as key=value lines."""
    lines = [f"{k}={v}" for k, v in first.items()]
    lines += ["", "SequenceNumber=13", "", "HostName=ConsoleHost", "HostVersion=5.1.17763.1"]
    lines += [f"HostId={HOST_ID}"]
    if host_application is not None:
        lines.append(f"HostApplication={host_application}")
    lines += ["EngineVersion=5.1.17763.1", "RunspaceId=6f1d", "PipelineId=", "CommandName="]
    return "\r\n\t".join(lines)


def _engine_start(record: int, host_application: str | None) -> dict[str, Any]:
    state = _state_lines(host_application, NewEngineState="Available", PreviousEngineState="None")
    return _evtx_json(400, ["Available", "None", "\t" + state], record)


def _provider_start(record: int, host_application: str) -> dict[str, Any]:
    state = _state_lines(host_application, ProviderName="WSMan", NewProviderState="Started")
    return _evtx_json(600, ["WSMan", "Started", "\t" + state], record)


def _both(rules: Any, table: pa.Table) -> dict[str, list[str]]:
    engine = engine_matches(rules, table)
    assert engine == sql_matches(rules.rules, table)
    return engine


def test_ntdsutil_ifm_on_a_domain_controller_is_found(shared_data: Path) -> None:
    esent = shared_data / "sigma" / "rules" / "windows" / "builtin" / "application" / "esent"
    rules = load_rules(
        [
            esent / "win_esent_ntdsutil_abuse.yml",
            esent / "win_esent_ntdsutil_abuse_susp_location.yml",
        ]
    )
    assert len(rules.rules) == 2 and not rules.unsupported
    matched = _both(rules, evtx_table([shared_data / NTDSUTIL]))
    # ESENT 325 (new database: the IFM copy) and 326/327 (attached, detached) name ntds.dit
    # in their fifth unnamed <Data>; only 325's path is a suspicious location (C:\ntds.dit).
    assert len(matched["Ntdsutil Abuse"]) == 4
    assert len(matched["Dump Ntds.dit To Suspicious Location"]) == 1


@pytest.fixture(scope="module")
def powershell_classic(shared_data: Path):  # type: ignore[no-untyped-def]
    folder = shared_data / "sigma" / "rules" / "windows" / "powershell" / "powershell_classic"
    rules = load_rules(
        [
            folder / "posh_pc_renamed_powershell.yml",
            folder / "posh_pc_wsman_com_provider_no_powershell.yml",
        ]
    )
    assert len(rules.rules) == 2 and not rules.unsupported
    return rules


def test_renamed_powershell_under_the_powershell_channel(powershell_classic) -> None:  # type: ignore[no-untyped-def]
    table = _table(
        _engine_start(1, "C:\\Users\\Public\\svchost.exe -nop -w hidden"),  # renamed
        _engine_start(2, "powershell.exe -ExecutionPolicy Bypass"),  # the real one
        _engine_start(3, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
        _engine_start(4, None),  # no HostApplication line: the rule's own filter
    )
    matched = _both(powershell_classic, table)
    assert matched == {"Renamed Powershell Under Powershell Channel": ["e0"]}


def test_wsman_provider_started_outside_powershell(powershell_classic) -> None:  # type: ignore[no-untyped-def]
    table = _table(
        _provider_start(1, "C:\\Windows\\System32\\wsmprovhost.exe -Embedding"),
        _provider_start(2, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
        _provider_start(3, "C:\\Hexnode\\Hexnode Agent\\Current\\HexnodeAgent.exe"),
    )
    matched = _both(powershell_classic, table)
    # The first is also a console host started by wsmprovhost: the renamed-host rule sees
    # no engine start (600 is not 400), so only the WSMan rule fires.
    assert matched == {"Suspicious Non PowerShell WSMAN COM Provider": ["e0"]}


RULE = """
title: {title}
id: 5d4f7d33-0000-4000-8000-0000000000{n:02d}
status: test
logsource:
    product: windows
    service: powershell-classic
detection:
    sel:
        {detection}
    condition: sel
level: low
"""


def test_data_values_keep_their_edges_and_named_fields_their_meaning(tmp_path: Path) -> None:
    cases = {
        "eq second": "Data: 'None'",
        "eq part": "Data: 'Non'",
        "starts": "Data|startswith: 'Star'",
        "ends": "Data|endswith: 'Man'",
        "exists": "Data|exists: true",
        "absent": "Data|exists: false",
        "named": "TargetUserName: 'WSMan'",
        "regex": "Data|re: '^Available$'",
    }
    rules = rules_from_yaml(
        tmp_path,
        *(RULE.format(title=t, n=i, detection=d) for i, (t, d) in enumerate(cases.items())),
    )
    assert not rules.problems and not rules.unsupported
    table = _table(
        _engine_start(1, "powershell.exe"),  # Data: Available, None, the lines
        _provider_start(2, "powershell.exe"),  # Data: WSMan, Started, the lines
        _evtx_json(403, {"TargetUserName": "WSMan"}, 3),  # a named <Data>: not "Data"
        _evtx_json(403, [], 4),  # no event data at all
    )
    matched = _both(rules, table)
    assert matched == {
        "eq second": ["e0"],
        "starts": ["e1"],
        "ends": ["e1", "e2"],  # the container holds named values too
        "exists": ["e0", "e1", "e2"],
        "absent": ["e3"],
        "named": ["e2"],
        "regex": ["e0"],
    }
