"""Sigma detection's settings section (``[detect]``, ``RENGO_DETECT__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from rengo.core import settings


@settings.section("detect")
class DetectSettings(BaseModel):
    """Sigma detection, the alert queue and cross-ward campaigns (docs/soc-detection.md)."""

    rule_folders: list[Path] = Field(
        default_factory=list,
        description="Folders of Sigma rules run besides rengo's municipal pack "
        "(e.g. a SigmaHQ release).",
    )
    builtin_rules: bool = Field(True, description="Run rengo's municipal rule pack.")
    placeholders: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Values of %placeholders% in rules (the expand modifier), by name.",
    )
    campaign_min_wards: int = Field(
        3,
        description=(
            "A campaign: the same rule, indicator or source seen in at least this many wards…"
        ),
    )
    campaign_window_minutes: int = Field(60, description="…within this many minutes.")
    alert_group_minutes: int = Field(
        60,
        description="Detections of one rule on one host/user/source within this many minutes "
        "join the same open alert.",
    )
    poll_seconds: float = Field(
        5.0, description="How often the incremental detector asks the lake for new events."
    )
    batch_rows: int = Field(
        200_000, description="Events evaluated together (larger: faster, more memory)."
    )
    max_events_per_alert: int = Field(
        1000, description="Matched events kept per alert (the count goes on beyond)."
    )
    workers: int = Field(
        2, ge=1, description="Processes that evaluate rules in parallel (this one included)."
    )
    follow_with_serve: bool = Field(
        False,
        description="Run incremental detection (rengo soc detect --follow) inside rengo serve; "
        "one process per data directory does it.",
    )
