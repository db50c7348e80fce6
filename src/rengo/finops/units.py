"""Units in the FOCUS Unit Format (1.2 attribute ``UnitFormat``) from providers' spellings.

Billing exports write units their own way: AWS ``GB-Mo``, ``Hrs``, ``Obj-Month``,
``Lambda-GB-Second``; the specification wants ``<unit>-<plural time>`` ("GB-Months"),
``<units>/<singular time>`` ("GB/Hour") or plain plural units ("Hours", "Requests").
``focus_unit_sql`` repairs the spellings whose meaning is unambiguous — a table of
known ones, then the time suffixes — and leaves every other value as given (a count
unit such as "API Requests" already conforms).
"""

from __future__ import annotations

from rengo.core.sql import literal

KNOWN_UNITS: dict[str, str] = {
    "Hrs": "Hours",
    "Hr": "Hours",
    "Obj-Month": "Object-Months",
    "Lambda-GB-Second": "GB-Seconds",
    "Lambda-GB-Seconds": "GB-Seconds",
    # A throughput provisioned for a month: FOCUS has no rate-times-time composite, so the
    # rate is one count unit (as AWS's own "MiBps-Mo").
    "GiB/Second-Months": "GiBps-Months",
    "MiBps-Mo": "MiBps-Months",
    "GB Hours": "GB-Hours",
    "GB Months": "GB-Months",
    "OCPU Hours": "OCPU-Hours",
    "OCPU Per Hour": "OCPU/Hour",
    "Gigabyte Per Hour": "GB/Hour",
}
"""Provider spellings (AWS CUR, OCI) and their FOCUS form."""

TIME_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("-(Mo|Mos|Month)$", "-Months"),
    ("-(Hrs|Hr|Hour)$", "-Hours"),
    ("-(Second|Secs|Sec)$", "-Seconds"),
    ("-(Day)$", "-Days"),
    ("-(Minute|Min|Mins)$", "-Minutes"),
)
"""``<unit>-<time>`` wants the plural time unit."""


def focus_unit_sql(expr: str) -> str:
    """SQL of ``expr`` (a text unit) in the FOCUS Unit Format where that is unambiguous."""
    suffixed = expr
    for pattern, replacement in TIME_SUFFIXES:
        suffixed = f"regexp_replace({suffixed}, {literal(pattern)}, {literal(replacement)})"
    cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in KNOWN_UNITS.items())
    return f"(CASE {expr} {cases} ELSE {suffixed} END)"
