"""The one schema every security event is stored in: flattened OCSF 1.x plus the original.

Each column is an OCSF attribute path flattened to one name (``OCSF_PATHS`` says which);
``unmapped`` keeps every original field beside them, under the names detection rules
expect (for Windows sources the Sigma/Windows names: ``EventID``, ``Channel``,
``Provider_Name``, ``Computer`` and each EventData/UserData field at top level, e.g.
``Image``, ``CommandLine``, ``TargetUserName``); ``raw`` is the record as received.

The lake is partitioned ``class_uid=<n>/ward=<code>/day=<YYYY-MM-DD>``.

Columns are only ever added, nullable, and listed in ``ADDED_COLUMNS``: files written
before read them as null (``Lake.source_of`` and ``rows_at``; compaction conforms them,
``maintenance.conformed``).
"""

from __future__ import annotations

import pyarrow as pa

ORIGINS = ("real", "demo", "exercise")
"""Every event says whether it is real, demo data or produced by a cyber exercise."""

EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("ward", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("format", pa.string()),
        pa.field("class_uid", pa.int32(), nullable=False),
        pa.field("class_name", pa.string()),
        pa.field("category_uid", pa.int32()),
        pa.field("activity_id", pa.int32()),
        pa.field("activity_name", pa.string()),
        pa.field("type_uid", pa.int64()),
        pa.field("severity_id", pa.int32()),
        pa.field("status_id", pa.int32()),
        pa.field("message", pa.string()),
        pa.field("product", pa.string()),
        pa.field("vendor", pa.string()),
        pa.field("event_code", pa.string()),
        pa.field("device_hostname", pa.string()),
        pa.field("device_ip", pa.string()),
        pa.field("user_name", pa.string()),
        pa.field("user_domain", pa.string()),
        pa.field("src_ip", pa.string()),
        pa.field("src_port", pa.int32()),
        pa.field("src_country", pa.string()),
        pa.field("dst_ip", pa.string()),
        pa.field("dst_port", pa.int32()),
        pa.field("protocol", pa.string()),
        pa.field("action", pa.string()),
        pa.field("process_name", pa.string()),
        pa.field("process_path", pa.string()),
        pa.field("process_cmd_line", pa.string()),
        pa.field("process_pid", pa.int64()),
        pa.field("parent_process_path", pa.string()),
        pa.field("parent_process_cmd_line", pa.string()),
        pa.field("file_path", pa.string()),
        pa.field("file_hash_sha256", pa.string()),
        pa.field("file_hash_md5", pa.string()),
        pa.field("file_hash_sha1", pa.string()),
        pa.field("url", pa.string()),
        pa.field("http_method", pa.string()),
        pa.field("http_status", pa.int32()),
        pa.field("user_agent", pa.string()),
        pa.field("dns_query", pa.string()),
        pa.field("email_from", pa.string()),
        pa.field("email_to", pa.string()),
        pa.field("email_subject", pa.string()),
        pa.field("bytes_in", pa.int64()),
        pa.field("bytes_out", pa.int64()),
        pa.field("logon_type", pa.string()),
        pa.field("auth_protocol", pa.string()),
        pa.field("unmapped", pa.map_(pa.string(), pa.string())),
        pa.field("raw", pa.string()),
        pa.field("ingest_seq", pa.int64()),
    ]
)

OCSF_PATHS: dict[str, str] = {
    "event_id": "metadata.uid",
    "time": "time",
    "ward": "metadata.tenant_uid",
    "origin": "metadata.labels (real|demo|exercise)",
    "source": "metadata.log_name",
    "format": "metadata.log_format",
    "class_uid": "class_uid",
    "class_name": "class_name",
    "category_uid": "category_uid",
    "activity_id": "activity_id",
    "activity_name": "activity_name",
    "type_uid": "type_uid",
    "severity_id": "severity_id",
    "status_id": "status_id",
    "message": "message",
    "product": "metadata.product.name",
    "vendor": "metadata.product.vendor_name",
    "event_code": "metadata.event_code",
    "device_hostname": "device.hostname",
    "device_ip": "device.ip",
    "user_name": "user.name (actor.user.name where the class has no user)",
    "user_domain": "user.domain",
    "src_ip": "src_endpoint.ip",
    "src_port": "src_endpoint.port",
    "src_country": "src_endpoint.location.country",
    "dst_ip": "dst_endpoint.ip",
    "dst_port": "dst_endpoint.port",
    "protocol": "connection_info.protocol_name",
    "action": "disposition (allowed|blocked|…)",
    "process_name": "process.name",
    "process_path": "process.file.path",
    "process_cmd_line": "process.cmd_line",
    "process_pid": "process.pid",
    "parent_process_path": "process.parent_process.file.path",
    "parent_process_cmd_line": "process.parent_process.cmd_line",
    "file_path": "file.path",
    "file_hash_sha256": "file.hashes[algorithm_id=3].value",
    "file_hash_md5": "file.hashes[algorithm_id=1].value",
    "file_hash_sha1": "file.hashes[algorithm_id=2].value",
    "url": "http_request.url.url_string",
    "http_method": "http_request.http_method",
    "http_status": "http_response.code",
    "user_agent": "http_request.user_agent",
    "dns_query": "query.hostname",
    "email_from": "email.from",
    "email_to": "email.to (comma-separated)",
    "email_subject": "email.subject",
    "bytes_in": "traffic.bytes_in",
    "bytes_out": "traffic.bytes_out",
    "logon_type": "logon_type",
    "auth_protocol": "auth_protocol",
    "unmapped": "unmapped",
    "raw": "raw_data",
    "ingest_seq": "metadata.sequence (the lake commit that stored it: Lake.changes cursor)",
}

COLUMNS = tuple(EVENT_SCHEMA.names)
ADDED_COLUMNS = ("file_hash_md5", "file_hash_sha1")
"""Columns added after the first lake files were written: older files lack them."""

# OCSF 1.x classes rengo's parsers produce.
CLASSES: dict[int, str] = {
    1001: "File System Activity",
    1007: "Process Activity",
    1005: "Module Activity",
    1006: "Scheduled Job Activity",
    1008: "Event Log Activity",
    201001: "Registry Key Activity",
    3001: "Account Change",
    3002: "Authentication",
    3005: "User Access Management",
    3006: "Group Management",
    4001: "Network Activity",
    4002: "HTTP Activity",
    4003: "DNS Activity",
    4009: "Email Activity",
    4010: "Network File Activity",
    2004: "Detection Finding",
    6003: "API Activity",
    0: "Base Event",
}
