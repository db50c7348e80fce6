"""Processing pipelines: where each Sigma log source lives in the lake, and under which names.

* Windows rules (``product: windows``) go through pySigma's usual pipelines — ``sysmon``
  (generic categories → Sysmon event ids) and ``windows-logsources`` (services →
  ``Channel``). Their fields keep the Windows names the lake keeps in ``unmapped``.
* rengo's own rules (``product: rengo``) and SigmaHQ's generic network rules (``proxy``,
  ``firewall``, ``dns``) are routed to the OCSF class of the event (``class_uid``) and,
  for the generic ones, have their field names mapped to rengo's OCSF columns.
* ``%placeholder%`` values (the ``expand`` modifier) come from ``detect.placeholders``;
  ``%segment_<name>%`` is left to the backend (each ward's own ranges, at run time).

A rule whose log source none of these knows is not converted — it would otherwise run
against every event — and is listed with that reason.
"""

from __future__ import annotations

from typing import Any

from sigma.pipelines.sysmon.sysmon import sysmon_pipeline
from sigma.pipelines.windows.windows import windows_logsource_pipeline
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
    ValueListPlaceholderTransformation,
)
from sigma.rule import SigmaRule

from rengo.soc.detect.ir import SEGMENT_PLACEHOLDERS
from rengo.soc.schema import COLUMNS

ROUTED_ITEM = "rengo_routed"
"""Identifier prefix of the items that route a log source to events (see ``is_routed``)."""

# OCSF classes of rengo's own rule categories (product: rengo).
RENGO_CATEGORIES: dict[str, int] = {
    "process_creation": 1007,
    "file_event": 1001,
    "registry_event": 201001,
    "account_change": 3001,
    "authentication": 3002,
    "user_access": 3005,
    "network_connection": 4001,
    "firewall": 4001,
    "vpn": 3002,
    "proxy": 4002,
    "webserver": 4002,
    "dns": 4003,
    "email": 4009,
    "api_activity": 6003,
}

# SigmaHQ's generic (product-less) categories and how their fields map to rengo's columns.
GENERIC_CATEGORIES: dict[str, tuple[int, dict[str, str]]] = {
    "proxy": (
        4002,
        {
            "c-uri": "url",
            "c-useragent": "user_agent",
            "cs-method": "http_method",
            "sc-status": "http_status",
            "c-ip": "src_ip",
            "cs-host": "url",
            "dst_ip": "dst_ip",
            "src_ip": "src_ip",
            "cs-bytes": "bytes_out",
            "sc-bytes": "bytes_in",
        },
    ),
    "firewall": (
        4001,
        {
            "src_ip": "src_ip",
            "dst_ip": "dst_ip",
            "src_port": "src_port",
            "dst_port": "dst_port",
            "action": "action",
        },
    ),
    "dns": (4003, {"query": "dns_query", "src_ip": "src_ip", "dst_ip": "dst_ip"}),
}
_WINDOWS_SERVICES_KNOWN = "windows_logsource_"


def _routing_items() -> list[ProcessingItem]:
    items = []
    for category, class_uid in RENGO_CATEGORIES.items():
        items.append(
            ProcessingItem(
                identifier=f"{ROUTED_ITEM}_rengo_{category}",
                transformation=AddConditionTransformation({"class_uid": class_uid}),
                rule_conditions=[LogsourceCondition(category=category, product="rengo")],
            )
        )
    for category, (class_uid, mapping) in GENERIC_CATEGORIES.items():
        items.append(
            ProcessingItem(
                identifier=f"{ROUTED_ITEM}_generic_{category}",
                transformation=AddConditionTransformation({"class_uid": class_uid}),
                rule_conditions=[LogsourceCondition(category=category)],
            )
        )
        items.append(
            ProcessingItem(
                identifier=f"rengo_fields_generic_{category}",
                transformation=FieldMappingTransformation(mapping),  # type: ignore[arg-type]
                rule_conditions=[LogsourceCondition(category=category)],
            )
        )
    return items


def build_pipeline(placeholders: dict[str, list[str]] | None = None) -> ProcessingPipeline:
    """The full pipeline every rule goes through before the DuckDB backend."""
    placeholder_pipeline = ProcessingPipeline(
        name="rengo placeholders",
        priority=5,
        items=[
            ProcessingItem(
                identifier="rengo_placeholders",
                # Segments differ per ward: the backend makes them a runtime test.
                transformation=ValueListPlaceholderTransformation(
                    exclude=list(SEGMENT_PLACEHOLDERS)
                ),
            )
        ],
        vars=dict(placeholders or {}),
    )
    rengo = ProcessingPipeline(name="rengo OCSF log sources", priority=20, items=_routing_items())
    pipeline: ProcessingPipeline = (
        placeholder_pipeline + sysmon_pipeline() + windows_logsource_pipeline() + rengo
    )
    return pipeline


def unsupported_reason(rule: SigmaRule, applied_ids: set[str]) -> str | None:
    """Why the rule cannot run on the lake after the pipeline, or ``None`` if it can."""
    logsource = rule.logsource
    product = (logsource.product or "").lower()
    if product == "windows":
        if logsource.service and any(i.startswith(_WINDOWS_SERVICES_KNOWN) for i in applied_ids):
            return None
        what = logsource.service or logsource.category or "?"
        return f"Windows log source {what!r} has no event log channel in the pipelines"
    if any(i.startswith(ROUTED_ITEM) for i in applied_ids):
        generic = any(i.startswith(f"{ROUTED_ITEM}_generic") for i in applied_ids)
        if generic:
            unknown = sorted(_fields(rule) - set(COLUMNS))
            if unknown:
                return f"field(s) {', '.join(unknown)} have no column in rengo's OCSF schema"
        return None
    parts = [
        f"{k}: {v}"
        for k, v in (
            ("product", logsource.product),
            ("category", logsource.category),
            ("service", logsource.service),
        )
        if v
    ]
    return f"log source ({', '.join(parts) or 'none'}) is not collected by rengo"


def _fields(rule: SigmaRule) -> set[str]:
    found: set[str] = set()

    def walk(item: Any) -> None:
        for sub in getattr(item, "detection_items", ()) or ():
            walk(sub)
        field = getattr(item, "field", None)
        if field:
            found.add(field)

    for detection in rule.detection.detections.values():
        walk(detection)
    return found
