"""What every parser shares: the error it raises, time and number coercion, OCSF ids.

A parser is a pure function ``parse(record: bytes) -> dict`` returning the columns of
``EVENT_SCHEMA`` it knows (``time``, ``class_uid``, the OCSF fields and ``unmapped``);
the pipeline adds ``event_id``, ``ward``, ``origin``, ``source`` and ``raw``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from rengo.soc.schema import CLASSES

Event = dict[str, Any]

JST = timezone(timedelta(hours=9), "JST")

# OCSF category of a class is its uid divided by 1000 (for the 6-digit extension classes,
# by 100000): 1 System, 2 Findings, 3 IAM, 4 Network, 6 Application.
SEVERITY_BY_NAME = {
    "unknown": 0,
    "informational": 1,
    "information": 1,
    "info": 1,
    "notice": 1,
    "debug": 1,
    "verbose": 1,
    "low": 2,
    "warning": 3,
    "warn": 3,
    "medium": 3,
    "high": 4,
    "error": 4,
    "critical": 5,
    "alert": 5,
    "fatal": 6,
    "emergency": 6,
}


class ParseError(ValueError):
    """A record this parser cannot read; ``reason`` says what failed and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def category_of(class_uid: int) -> int:
    return class_uid // 100000 if class_uid >= 100000 else class_uid // 1000


def classify(event: Event, class_uid: int, activity_id: int, activity_name: str) -> Event:
    """Set the OCSF class, category, activity and type ids of ``event`` (in place)."""
    event["class_uid"] = class_uid
    event["class_name"] = CLASSES.get(class_uid, "Base Event")
    event["category_uid"] = category_of(class_uid)
    event["activity_id"] = activity_id
    event["activity_name"] = activity_name
    event["type_uid"] = class_uid * 100 + activity_id
    return event


def as_int(value: Any) -> int | None:
    """An integer from an int, a decimal or hex string; ``None`` for '-', '' or junk."""
    if value.__class__ is str:
        try:
            return int(value)  # the common case first: a plain decimal
        except ValueError:
            pass
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value).strip()
    if not text or text == "-":
        return None
    try:
        return int(text, 16) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        return None


def as_port(value: Any) -> int | None:
    port = as_int(value)
    return port if port is not None and 0 <= port <= 65535 else None


def clean(value: Any) -> str | None:
    """A string value, with Windows' and syslog's placeholders for 'nothing' as ``None``."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.strip()
    return None if text in ("", "-", "N/A", "null") else text


_TIMES: dict[str, datetime] = {}
"""Recently parsed UTC-default stamps: a busy sender repeats the same second many times."""


def parse_iso_time(text: str, default_tz: timezone = UTC) -> datetime:
    """ISO 8601 (with 'Z', offset, or none = ``default_tz``); up to 9 fractional digits."""
    if default_tz is UTC and (known := _TIMES.get(text)) is not None:
        return known
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso_slowly(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    parsed = parsed.astimezone(UTC)
    if default_tz is UTC:
        if len(_TIMES) >= 4096:
            _TIMES.clear()
        _TIMES[text] = parsed
    return parsed


def _parse_iso_slowly(text: str) -> datetime:
    value = text.strip().replace(" ", "T", 1) if "T" not in text else text.strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    # Python reads at most 6 fractional digits; Windows and Go write 7 or 9.
    dot = value.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(value) and value[end].isdigit():
            end += 1
        value = value[: dot + 1] + value[dot + 1 : end][:6].ljust(6, "0") + value[end:]
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise ParseError(f"time {text!r} is not ISO 8601") from exc


def epoch_to_time(value: float) -> datetime:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    if value > 1e17:
        value /= 1e9
    elif value > 1e14:
        value /= 1e6
    elif value > 1e11:
        value /= 1e3
    return datetime.fromtimestamp(value, UTC)


def flat_strings(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every leaf of a nested dict as a string, keys joined with '.' (for ``unmapped``)."""
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_strings(value, name + "."))
        elif value is None:
            continue
        elif isinstance(value, list):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out


HASH_COLUMNS = {"MD5": "file_hash_md5", "SHA1": "file_hash_sha1", "SHA256": "file_hash_sha256"}
HASH_COLUMN_OF_LENGTH = {32: "file_hash_md5", 40: "file_hash_sha1", 64: "file_hash_sha256"}
_HEX_DIGITS = frozenset("0123456789abcdef")


def hash_column(value: Any) -> tuple[str, str] | None:
    """(column, lower-case hex) of a bare MD5, SHA-1 or SHA-256 digest, told apart by its
    length (CEF's ``fileHash`` does not say which); ``None`` for anything else."""
    text = clean(value)
    if text is None:
        return None
    text = text.lower()
    column = HASH_COLUMN_OF_LENGTH.get(len(text))
    return (column, text) if column is not None and _HEX_DIGITS.issuperset(text) else None


def split_hashes(text: Any) -> dict[str, str]:
    """Sysmon's ``Hashes`` (``SHA1=…,MD5=…,SHA256=…,IMPHASH=…``) as ``file_hash_*`` columns,
    lower-case; IMPHASH, unknown names and values of the wrong length are left out."""
    out: dict[str, str] = {}
    for part in (clean(text) or "").split(","):
        algorithm, _, value = part.partition("=")
        column = HASH_COLUMNS.get(algorithm.strip().upper().replace("-", ""))
        found = hash_column(value)
        if column is not None and found is not None and found[0] == column:
            out[column] = found[1]
    return out
