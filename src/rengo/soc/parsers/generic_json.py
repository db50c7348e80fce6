"""Any JSON object: OCSF (nested or flattened to rengo's columns) or a log of its own.

OCSF attributes are read from their paths (``src_endpoint.ip``) or from rengo's column
names (``src_ip``); common log names (``@timestamp``, ``timestamp``, ``host``, ``msg``,
``level``) fill time, host, message and severity. Without ``class_uid`` the event is a
Base Event. Everything stays in ``unmapped``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rengo.soc.parsers.common import (
    SEVERITY_BY_NAME,
    Event,
    ParseError,
    as_int,
    classify,
    epoch_to_time,
    flat_strings,
    hash_column,
    parse_iso_time,
)
from rengo.soc.parsers.registry import Parser
from rengo.soc.schema import EVENT_SCHEMA, OCSF_PATHS

PIPELINE_COLUMNS = {"event_id", "ward", "origin", "source", "format", "raw", "unmapped"}
OCSF_TO_COLUMN = {
    path.split(" ", 1)[0]: column
    for column, path in OCSF_PATHS.items()
    if column not in PIPELINE_COLUMNS and "[" not in path
}
INT_COLUMNS = {f.name for f in EVENT_SCHEMA if str(f.type).startswith("int")}
TIME_KEYS = ("time", "@timestamp", "timestamp", "date", "ts", "eventTime", "datetime")
HOST_KEYS = ("device_hostname", "hostname", "host", "host.name", "computer")
MESSAGE_KEYS = ("message", "msg", "log")
OCSF_HASH_COLUMNS = {1: "file_hash_md5", 2: "file_hash_sha1", 3: "file_hash_sha256"}
"""OCSF ``fingerprint.algorithm_id`` of the digests the lake has a column for."""


def _to_time(value: Any, received: datetime) -> datetime:
    if value is None:
        return received
    if isinstance(value, int | float):
        return epoch_to_time(float(value))
    text = str(value)
    if text.replace(".", "", 1).isdigit():
        return epoch_to_time(float(text))
    return parse_iso_time(text)


def _ocsf_hashes(record: dict[str, Any]) -> dict[str, str]:
    """``file.hashes[]`` (else ``process.file.hashes[]``): OCSF fingerprints as columns."""
    out: dict[str, str] = {}
    for owner in (record.get("process"), record):
        file = owner.get("file") if isinstance(owner, dict) else None
        hashes = file.get("hashes") if isinstance(file, dict) else None
        for item in hashes if isinstance(hashes, list) else []:
            if not isinstance(item, dict):
                continue
            column = OCSF_HASH_COLUMNS.get(as_int(item.get("algorithm_id")) or 0)
            found = hash_column(item.get("value"))
            if column is not None and found is not None and found[0] == column:
                out[column] = found[1]
    return out


def parse_json_object(record: dict[str, Any], received: datetime) -> Event:
    if not isinstance(record, dict):
        raise ParseError(f"a JSON {type(record).__name__}, not an object")
    flat = flat_strings(record)
    event: Event = {}
    for key, value in flat.items():
        column = OCSF_TO_COLUMN.get(key) or (key if key in INT_COLUMNS else None)
        if column is None and key in EVENT_SCHEMA.names and key not in PIPELINE_COLUMNS:
            column = key
        if column is None or column == "time":
            continue
        event[column] = as_int(value) if column in INT_COLUMNS else value
    for column, digest in _ocsf_hashes(record).items():
        event.setdefault(column, digest)
    time_value = next((record[k] for k in TIME_KEYS if record.get(k) is not None), None)
    event["time"] = _to_time(time_value, received)
    if not event.get("device_hostname"):
        event["device_hostname"] = next((flat[k] for k in HOST_KEYS if flat.get(k)), None)
    if not event.get("message"):
        event["message"] = next((flat[k] for k in MESSAGE_KEYS if flat.get(k)), None)
    if event.get("severity_id") is None:
        level = str(record.get("level") or record.get("severity") or "").lower()
        event["severity_id"] = SEVERITY_BY_NAME.get(level, 0)
    class_uid = as_int(record.get("class_uid"))
    if class_uid is None:
        classify(event, 0, 0, "Unknown")
    else:
        activity_id = as_int(record.get("activity_id")) or 0
        classify(event, class_uid, activity_id, str(record.get("activity_name") or "Unknown"))
    event["unmapped"] = flat
    return event


PARSER = Parser(
    "json",
    "generic JSON lines (OCSF attributes recognised)",
    "json",
    lambda record, known: parse_json_object(record, known["time"]),
    order=90,
    hands_over=("windows-json",),
)
