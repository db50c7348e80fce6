"""Settings of EBPM (``[ebpm]`` in rengo.toml, ``RENGO_EBPM__<NAME>`` in the environment)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from rengo.core.settings import section
from rengo.ebpm.zone import settings as _zone_settings  # noqa: F401 - registers the zone's settings


@section("ebpm")
class EbpmSettings(BaseModel):
    required_course: str = Field(
        "DL-BASIC",
        description="Code of the required basic data-literacy course the training KPI counts.",
    )
    kgi_years: int = Field(
        5, ge=1, le=20, description="Years over which key outcome indicators are compared."
    )
    wild_bootstrap_below_clusters: int = Field(
        30,
        ge=2,
        description=(
            "Difference-in-differences with fewer wards (clusters) than this uses the wild "
            "cluster bootstrap instead of cluster-robust errors."
        ),
    )
    bootstrap_replications: int = Field(
        999, ge=99, le=99_999, description="Replications of the wild cluster bootstrap."
    )
    survey_confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of survey margins of error."
    )
    reminder_interval_days: int = Field(
        14,
        ge=1,
        le=365,
        description=(
            "A member of staff who has not completed the required course is reminded at most "
            "once in this many days (scheduled and on-demand reminders alike)."
        ),
    )
    reminders_scheduled: bool = Field(
        True,
        description=(
            "The worker reminds staff who have not completed the required course on its own "
            "(every round, each person at most once per reminder interval)."
        ),
    )
    snapshot_period: Literal["quarter", "year"] = Field(
        "quarter",
        description=(
            "Live-metric indicators store their actual per fiscal quarter or fiscal year."
        ),
    )
    snapshot_refresh_hours: int = Field(
        24,
        ge=1,
        le=24 * 31,
        description=(
            "The worker refreshes the current period's snapshot of a live-metric indicator "
            "when it is older than this; the last snapshot of a period stays as its actual."
        ),
    )
