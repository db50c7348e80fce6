"""Windows events (EVTX JSON rendering, Winlogbeat, NXLog) mapped to OCSF classes.

Whatever the shipper, an event is first brought to the same two parts — the System
header (``EventID``, ``Channel``, ``Provider_Name``, ``Computer``) and the
EventData/UserData fields — which are kept in ``unmapped`` under exactly those names,
the names SigmaHQ's Windows rules use. The OCSF mapping then depends only on the
channel and event id (see docs/soc.md, "Windows").
"""

from __future__ import annotations

from typing import Any

from rengo.soc.parsers.common import (
    Event,
    ParseError,
    as_int,
    as_port,
    classify,
    clean,
    flat_strings,
    parse_iso_time,
    split_hashes,
)
from rengo.soc.parsers.registry import Parser

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
LEVEL_SEVERITY = {0: 1, 1: 5, 2: 4, 3: 3, 4: 1, 5: 1}

# (class_uid, activity_id, activity_name) per Security/System event id.
SECURITY_MAP: dict[int, tuple[int, int, str]] = {
    4624: (3002, 1, "Logon"),
    4625: (3002, 1, "Logon"),
    4648: (3002, 1, "Logon"),
    4634: (3002, 2, "Logoff"),
    4647: (3002, 2, "Logoff"),
    4768: (3002, 3, "Authentication Ticket"),
    4771: (3002, 3, "Authentication Ticket"),
    4769: (3002, 4, "Service Ticket Request"),
    4770: (3002, 5, "Service Ticket Renew"),
    4776: (3002, 1, "Logon"),
    4688: (1007, 1, "Launch"),
    4689: (1007, 2, "Terminate"),
    4698: (1006, 1, "Create"),
    4702: (1006, 2, "Update"),
    4699: (1006, 3, "Delete"),
    4700: (1006, 4, "Enable"),
    4701: (1006, 5, "Disable"),
    4720: (3001, 1, "Create"),
    4722: (3001, 2, "Enable"),
    4723: (3001, 3, "Password Change"),
    4724: (3001, 4, "Password Reset"),
    4725: (3001, 5, "Disable"),
    4726: (3001, 6, "Delete"),
    4738: (3001, 99, "Other"),
    4781: (3001, 99, "Other"),
    4794: (3001, 99, "Other"),
    4672: (3005, 1, "Assign Privileges"),
    4704: (3005, 1, "Assign Privileges"),
    4705: (3005, 2, "Revoke Privileges"),
    4728: (3006, 3, "Add User"),
    4732: (3006, 3, "Add User"),
    4756: (3006, 3, "Add User"),
    4729: (3006, 4, "Remove User"),
    4733: (3006, 4, "Remove User"),
    4757: (3006, 4, "Remove User"),
    4663: (1001, 2, "Read"),
    4656: (1001, 14, "Open"),
    4660: (1001, 4, "Delete"),
    4657: (201001, 3, "Modify"),
    5140: (4010, 1, "Read"),
    5145: (4010, 1, "Read"),
    5156: (4001, 1, "Open"),
    5157: (4001, 5, "Refuse"),
    1102: (1008, 1, "Clear"),
    104: (1008, 1, "Clear"),
    7045: (1006, 1, "Create"),
    4697: (1006, 1, "Create"),
}

SYSMON_MAP: dict[int, tuple[int, int, str]] = {
    1: (1007, 1, "Launch"),
    5: (1007, 2, "Terminate"),
    8: (1007, 4, "Inject"),
    10: (1007, 3, "Open"),
    3: (4001, 1, "Open"),
    22: (4003, 1, "Query"),
    2: (1001, 3, "Update"),
    11: (1001, 1, "Create"),
    15: (1001, 1, "Create"),
    23: (1001, 4, "Delete"),
    26: (1001, 4, "Delete"),
    12: (201001, 1, "Create"),
    13: (201001, 3, "Modify"),
    14: (201001, 5, "Rename"),
    7: (1005, 1, "Load"),
    6: (1005, 1, "Load"),
}

LOGON_TYPES = {
    "2": "Interactive",
    "3": "Network",
    "4": "Batch",
    "5": "Service",
    "7": "Unlock",
    "8": "NetworkCleartext",
    "9": "NewCredentials",
    "10": "RemoteInteractive",
    "11": "CachedInteractive",
}


def _text(value: Any) -> Any:
    """EVTX JSON puts attributes beside text as {'#attributes': …, '#text': …}."""
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _event_data(container: Any) -> dict[str, Any]:
    """EventData/UserData as flat name→value (unnamed <Data> becomes Data, Data1 …)."""
    if not isinstance(container, dict):
        return {}
    if len(container) == 1 and "#attributes" not in container:
        # UserData wraps its fields in one element named after the event.
        (only,) = container.values()
        if isinstance(only, dict) and "Data" not in container:
            container = only
    out: dict[str, Any] = {}
    for key, value in container.items():
        if key == "#attributes":
            continue
        # Sigma rules (and SigmaHQ's checker) name Defender's "Threat Name" ThreatName.
        key = key.replace(" ", "")
        value = _text(value)
        if key == "Data" and isinstance(value, list):
            for index, item in enumerate(value):
                out["Data" if index == 0 else f"Data{index}"] = _text(item)
        elif isinstance(value, dict):
            out.update(flat_strings(value, key + "."))
        else:
            out[key] = value
    return out


def _basename(path: str | None) -> str | None:
    if not path:
        return None
    return path.replace("/", "\\").rsplit("\\", 1)[-1]


def _sid_or_name(data: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = clean(data.get(name))
        if value is not None:
            return value
    return None


HEADER_FIELDS = frozenset(
    {
        "EventID",
        "Channel",
        "Provider_Name",
        "Computer",
        "EventRecordID",
        "Level",
        "Task",
        "Keywords",
        "ProcessID",
        "ThreadID",
        "UserID",
    }
)
"""The ``unmapped`` keys ``windows_event`` fills from the event's header (System): every
other key is the event's data (EventData/UserData) — what Sigma's ``Data`` container means."""


def windows_event(
    *,
    time_text: str,
    event_id: int,
    channel: str,
    provider: str,
    computer: str,
    data: dict[str, Any],
    level: int | None = None,
    record_id: Any = None,
    extra: dict[str, Any] | None = None,
    message: str | None = None,
) -> Event:
    """The OCSF event for one Windows event, given its header and data fields."""
    unmapped: dict[str, str] = {
        "EventID": str(event_id),
        "Channel": channel,
        "Provider_Name": provider,
        "Computer": computer,
    }
    if record_id is not None:
        unmapped["EventRecordID"] = str(record_id)
    for key, value in (extra or {}).items():
        if value is not None:
            unmapped[key] = str(value)
    for key, value in data.items():
        if value is not None:
            unmapped[key] = value if isinstance(value, str) else str(value)

    event: Event = {
        "time": parse_iso_time(time_text),
        "product": "Sysmon" if channel == SYSMON_CHANNEL else "Windows",
        "vendor": "Microsoft",
        "event_code": str(event_id),
        "device_hostname": computer or None,
        "severity_id": LEVEL_SEVERITY.get(level or 0, 1),
        "message": message,
        "unmapped": unmapped,
    }
    table = SYSMON_MAP if channel == SYSMON_CHANNEL else SECURITY_MAP
    class_uid, activity_id, activity_name = table.get(event_id, (0, 0, "Unknown"))
    classify(event, class_uid, activity_id, activity_name)
    _map_fields(event, channel, event_id, data)
    return event


def _map_fields(event: Event, channel: str, event_id: int, data: dict[str, Any]) -> None:
    get = data.get
    user = _sid_or_name(data, "TargetUserName", "User", "SubjectUserName", "AccountName")
    domain = _sid_or_name(data, "TargetDomainName", "SubjectDomainName")
    if user and "\\" in user and domain is None:
        domain, user = user.split("\\", 1)
    event["user_name"], event["user_domain"] = user, domain
    image = clean(get("Image")) or clean(get("NewProcessName")) or clean(get("ProcessName"))
    if channel == SYSMON_CHANNEL and event_id in (8, 10):
        image = clean(get("SourceImage"))
    event["process_path"] = image
    event["process_name"] = _basename(image)
    event["process_cmd_line"] = clean(get("CommandLine"))
    event["process_pid"] = as_int(get("ProcessId") or get("NewProcessId") or get("SourceProcessId"))
    event["parent_process_path"] = clean(get("ParentImage")) or clean(get("ParentProcessName"))
    event["parent_process_cmd_line"] = clean(get("ParentCommandLine"))
    event["file_path"] = (
        clean(get("TargetFilename"))
        or clean(get("ObjectName"))
        or clean(get("ImageLoaded"))
        or clean(get("TargetObject"))
        or clean(get("ShareName"))
    )
    event.update(split_hashes(clean(get("Hashes")) or get("Hash")))
    event["src_ip"] = (
        clean(get("IpAddress")) or clean(get("SourceIp")) or clean(get("SourceAddress"))
    )
    event["src_port"] = as_port(get("IpPort") or get("SourcePort"))
    event["dst_ip"] = clean(get("DestinationIp")) or clean(get("DestAddress"))
    event["dst_port"] = as_port(get("DestinationPort") or get("DestPort"))
    event["protocol"] = clean(get("Protocol"))
    event["dns_query"] = clean(get("QueryName"))
    logon_type = clean(get("LogonType"))
    if logon_type is not None:
        event["logon_type"] = LOGON_TYPES.get(logon_type, logon_type)
    event["auth_protocol"] = clean(get("AuthenticationPackageName")) or clean(get("PackageName"))
    if event["class_uid"] == 3002:
        failed = event_id in (4625, 4771) or (
            event_id in (4768, 4769, 4776) and clean(get("Status")) not in (None, "0x0")
        )
        event["status_id"] = 2 if failed else 1
        event["action"] = "denied" if failed else "allowed"


def _evtx_record(record: dict[str, Any]) -> Event:
    try:
        root = record["Event"]
        system = root["System"]
    except (KeyError, TypeError) as exc:
        raise ParseError("EVTX JSON has no Event.System") from exc
    provider = system.get("Provider", {}).get("#attributes", {})
    time_created = system.get("TimeCreated", {}).get("#attributes", {}).get("SystemTime")
    event_id = as_int(_text(system.get("EventID")))
    if time_created is None or event_id is None:
        raise ParseError("EVTX System has no TimeCreated or EventID")
    data = _event_data(root.get("EventData")) or _event_data(root.get("UserData"))
    execution = (system.get("Execution") or {}).get("#attributes", {})
    security = (system.get("Security") or {}) or {}
    return windows_event(
        time_text=time_created,
        event_id=event_id,
        channel=str(system.get("Channel") or ""),
        provider=str(provider.get("Name") or provider.get("EventSourceName") or ""),
        computer=str(system.get("Computer") or ""),
        data=data,
        level=as_int(system.get("Level")),
        record_id=system.get("EventRecordID"),
        extra={
            "Level": system.get("Level"),
            "Task": system.get("Task"),
            "Keywords": system.get("Keywords"),
            "ProcessID": execution.get("ProcessID"),
            "ThreadID": execution.get("ThreadID"),
            "UserID": security.get("#attributes", {}).get("UserID")
            if isinstance(security, dict)
            else None,
        },
    )


def _winlogbeat_record(record: dict[str, Any]) -> Event:
    winlog = record["winlog"]
    event_id = as_int(winlog.get("event_id") or (record.get("event") or {}).get("code"))
    time_text = record.get("@timestamp") or (record.get("event") or {}).get("created")
    if event_id is None or not time_text:
        raise ParseError("Winlogbeat record has no winlog.event_id or @timestamp")
    data = dict(winlog.get("event_data") or {})
    data.update(_event_data(winlog.get("user_data")))
    hashes = record.get("hash")
    if isinstance(hashes, dict) and hashes and "Hashes" not in data and "Hash" not in data:
        # Winlogbeat's sysmon module moves Hashes to hash.md5, hash.sha256, …: put it back
        # as Sysmon wrote it, for the hash columns and for Sigma rules on Hashes/Hash.
        data["Hash" if event_id == 15 else "Hashes"] = ",".join(
            f"{name.upper()}={str(value).upper()}" for name, value in hashes.items()
        )
    host = record.get("host") or {}
    return windows_event(
        time_text=str(time_text),
        event_id=event_id,
        channel=str(winlog.get("channel") or ""),
        provider=str(winlog.get("provider_name") or ""),
        computer=str(winlog.get("computer_name") or host.get("name") or ""),
        data=data,
        record_id=winlog.get("record_id"),
        message=record.get("message"),
        extra={"ProcessID": (winlog.get("process") or {}).get("pid")},
    )


NXLOG_HEADER = {
    "EventTime",
    "EventReceivedTime",
    "Hostname",
    "EventID",
    "SourceName",
    "ProviderGuid",
    "Channel",
    "Severity",
    "SeverityValue",
    "EventType",
    "Keywords",
    "RecordNumber",
    "Message",
    "SourceModuleName",
    "SourceModuleType",
    "Task",
    "Opcode",
    "Version",
    "ExecutionProcessID",
    "ExecutionThreadID",
    "Category",
    "Domain",
    "AccountName",
    "UserID",
    "AccountType",
    "OpcodeValue",
    "ActivityID",
    "Level",
}


def _nxlog_record(record: dict[str, Any]) -> Event:
    event_id = as_int(record.get("EventID"))
    time_text = record.get("EventTime")
    if event_id is None or not time_text:
        raise ParseError("NXLog record has no EventID or EventTime")
    data = {k: v for k, v in record.items() if k not in NXLOG_HEADER}
    severity_value = as_int(record.get("SeverityValue"))
    return windows_event(
        # NXLog writes local time without an offset; its agents in the wards run on JST.
        time_text=str(time_text) if "+" in str(time_text) else f"{time_text}+09:00",
        event_id=event_id,
        channel=str(record.get("Channel") or ""),
        provider=str(record.get("SourceName") or ""),
        computer=str(record.get("Hostname") or ""),
        data=data,
        level={1: 4, 2: 4, 3: 3, 4: 2, 5: 1}.get(severity_value or 0),
        record_id=record.get("RecordNumber"),
        message=record.get("Message"),
        extra={"ProcessID": record.get("ExecutionProcessID")},
    )


def parse_windows_json(record: dict[str, Any]) -> Event:
    """A Windows event as JSON from EVTX rendering, Winlogbeat or NXLog (told apart by shape)."""
    if "Event" in record:
        return _evtx_record(record)
    if isinstance(record.get("winlog"), dict):
        return _winlogbeat_record(record)
    if "EventID" in record and ("SourceName" in record or "Channel" in record):
        return _nxlog_record(record)
    raise ParseError("not a Windows event: no Event.System, winlog or EventID/SourceName")


def looks_like_windows(record: dict[str, Any]) -> bool:
    return (
        isinstance(record.get("Event"), dict)
        or isinstance(record.get("winlog"), dict)
        or ("EventID" in record and ("SourceName" in record or "Channel" in record))
    )


PARSERS = (
    Parser(
        "evtx",
        "Windows EVTX file (records rendered to JSON by the evtx package)",
        "json",
        lambda record, _known: parse_windows_json(record),
        order=10,
    ),
    Parser(
        "windows-json",
        "Windows event JSON: EVTX rendering, Winlogbeat or NXLog",
        "json",
        lambda record, _known: parse_windows_json(record),
        sniff=looks_like_windows,
        order=20,
    ),
)
