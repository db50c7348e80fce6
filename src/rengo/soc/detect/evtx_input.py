"""EVTX files straight into EVENT_SCHEMA rows, for detection without a lake (like Chainsaw).

Used by ``rengo soc detect --evtx`` and by the tests and benchmarks on SigmaHQ's
regression data and EVTX-ATTACK-SAMPLES. Field names follow the lake's convention for
Windows sources (``rengo.soc.schema``): the System header as ``EventID``, ``Channel``,
``Provider_Name``, ``Computer`` …, every EventData/UserData field at top level. Several
unnamed ``<Data>`` elements (classic PowerShell, service events) are joined into one
``Data`` value (each also kept as ``Data1``, ``Data2`` …), so that ``Data|contains``
sees all of them, as Hayabusa does; spaces in field names are dropped (Defender's
``Threat Name`` is ``ThreatName`` in Sigma rules).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import evtx
import orjson
import pyarrow as pa

from rengo.soc.schema import EVENT_SCHEMA

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"


def _text(value: Any) -> Any:
    if isinstance(value, dict) and "#text" in value:
        return value["#text"]
    return value


def _scalar(value: Any) -> str | None:
    value = _text(value)
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, list):
        return "\r\n".join(str(v) for v in value if v is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten_system(system: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in system.items():
        if isinstance(value, dict):
            text = value.get("#text")
            if text is not None:
                out[key] = str(text)
            for attr, attr_value in (value.get("#attributes") or {}).items():
                if attr_value is not None:
                    out[f"{key}_{attr}"] = str(attr_value)
        elif value is not None:
            out[key] = _scalar(value) or ""


def _flatten_data(container: Any, out: dict[str, str]) -> None:
    if not isinstance(container, dict):
        if container is not None:
            out.setdefault("Data", _scalar(container) or "")
        return
    for key, value in container.items():
        if key == "#attributes":
            continue
        # Defender writes "Threat Name"; Sigma rules (and SigmaHQ's checker) say ThreatName.
        key = key.replace(" ", "")
        if key == "Data" and isinstance(value, list):
            texts = [_scalar(v) for v in value]
            for index, text in enumerate(texts, 1):
                if text is not None:
                    out[f"Data{index}"] = text
            out["Data"] = "\r\n".join(t for t in texts if t is not None)
            continue
        if isinstance(value, dict) and "#text" not in value:
            _flatten_data(value, out)
            continue
        text = _scalar(value)
        if text is not None:
            out[key] = text


def flatten_record(record: dict[str, Any]) -> dict[str, str]:
    """The Sigma/Windows field names of one EVTX JSON record."""
    event = record.get("Event", record)
    fields: dict[str, str] = {}
    _flatten_system(event.get("System") or {}, fields)
    for part in ("EventData", "UserData"):
        if part in event:
            _flatten_data(event[part], fields)
    return fields


def _time(fields: dict[str, str]) -> datetime:
    stamp = fields.get("TimeCreated_SystemTime", "")
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)


def read_records(path: Path) -> Iterator[tuple[int, str]]:
    parser = evtx.PyEvtxParser(str(path))
    for record in parser.records_json():
        if isinstance(record, dict):
            yield int(record["event_record_id"]), record["data"]


def evtx_rows(paths: Iterable[Path], ward: str, origin: str = "real") -> Iterator[dict[str, Any]]:
    for path in paths:
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]  # noqa: S324 - an id, not security
        for record_id, data in read_records(path):
            fields = flatten_record(orjson.loads(data))
            channel = fields.get("Channel")
            yield {
                "event_id": f"evtx-{digest}-{record_id}",
                "time": _time(fields),
                "ward": ward,
                "origin": origin,
                "source": str(path.name),
                "format": "evtx",
                "class_uid": 0,
                "product": "Sysmon" if channel == SYSMON_CHANNEL else "Windows",
                "vendor": "Microsoft",
                "event_code": fields.get("EventID"),
                "device_hostname": fields.get("Computer"),
                "unmapped": list(fields.items()),
                "raw": data,
            }


def evtx_table(paths: Iterable[Path], ward: str = "131016", origin: str = "real") -> pa.Table:
    """All records of ``paths`` as one EVENT_SCHEMA table."""
    rows = list(evtx_rows(paths, ward, origin))
    return pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)


def evtx_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() == ".evtx")
