"""Settings of EBPM (``[ebpm]`` in rengo.toml, ``RENGO_EBPM__<NAME>`` in the environment)."""

from __future__ import annotations

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
