"""Microsoft 365 unified audit log records (Management Activity API / Purview export).

``Operation`` decides the class: sign-ins are Authentication, mail operations Email
Activity, SharePoint/OneDrive file operations File System Activity, the rest API
Activity. Every original field stays in ``unmapped``.
"""

from __future__ import annotations

from typing import Any

from rengo.soc.parsers.common import (
    Event,
    ParseError,
    classify,
    clean,
    flat_strings,
    parse_iso_time,
)
from rengo.soc.parsers.registry import Parser

LOGIN_OPERATIONS = {"UserLoggedIn": 1, "UserLoginFailed": 2}
MAIL_OPERATIONS = {"Send": 1, "SendAs": 1, "SendOnBehalf": 1, "MailItemsAccessed": 3}
FILE_OPERATIONS = {
    "FileAccessed": (2, "Read"),
    "FileDownloaded": (2, "Read"),
    "FileUploaded": (1, "Create"),
    "FileModified": (3, "Update"),
    "FileDeleted": (4, "Delete"),
    "FileRenamed": (5, "Rename"),
}


def looks_like_m365(record: dict[str, Any]) -> bool:
    return "CreationTime" in record and "Operation" in record and "Workload" in record


def parse_m365(record: dict[str, Any]) -> Event:
    if not looks_like_m365(record):
        raise ParseError("M365 audit record lacks CreationTime, Operation or Workload")
    operation = str(record["Operation"])
    event: Event = {
        # The API writes UTC without a zone suffix.
        "time": parse_iso_time(str(record["CreationTime"])),
        "vendor": "Microsoft",
        "product": f"Microsoft 365 {record['Workload']}",
        "event_code": operation,
        "user_name": clean(record.get("UserId")),
        "src_ip": clean(record.get("ClientIP") or record.get("ActorIpAddress")),
        "user_agent": clean(_extended(record, "UserAgent")),
        "message": f"{record['Workload']}: {operation}",
        "unmapped": flat_strings(record),
    }
    result = str(record.get("ResultStatus") or "")
    failed = result.lower() in ("failed", "failure") or operation == "UserLoginFailed"
    if operation in LOGIN_OPERATIONS:
        classify(event, 3002, 1, "Logon")
    elif operation in MAIL_OPERATIONS:
        classify(
            event,
            4009,
            MAIL_OPERATIONS[operation],
            "Send" if operation.startswith("Send") else "Read",
        )
        item = record.get("Item") or {}
        event["email_subject"] = clean(item.get("Subject")) if isinstance(item, dict) else None
        event["email_from"] = clean(record.get("MailboxOwnerUPN")) or event["user_name"]
    elif operation in FILE_OPERATIONS:
        activity_id, name = FILE_OPERATIONS[operation]
        classify(event, 1001, activity_id, name)
        event["file_path"] = clean(record.get("ObjectId"))
    else:
        classify(event, 6003, 99, "Other")
    event["status_id"] = 2 if failed else 1
    return event


def _extended(record: dict[str, Any], name: str) -> str | None:
    for item in record.get("ExtendedProperties") or []:
        if isinstance(item, dict) and item.get("Name") == name:
            return str(item.get("Value"))
    return None


PARSER = Parser(
    "m365",
    "Microsoft 365 unified audit log JSON",
    "json",
    lambda record, _known: parse_m365(record),
    sniff=looks_like_m365,
    order=70,
)
