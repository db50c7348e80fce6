"""Settings of the data-linkage zone (``[ebpm_zone]``, ``RENGO_EBPM_ZONE__*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from rengo.core.settings import section


@section("ebpm_zone")
class ZoneSettings(BaseModel):
    key_file: Path | None = Field(
        None,
        description="The zone's key (encrypts deposits at rest, keys pseudonyms); default "
        "`rengo-zone.key` beside the data directory. Must lie outside the data directory; "
        "created with mode 0600 on first use. Back it up apart from the data: without it "
        "the deposits cannot be read.",
    )
    k: int = Field(5, description="Releases: every combination of quasi-identifiers held by ≥ k.")
    l_diversity: int = Field(2, description="Releases: distinct sensitive values per class, ≥ l.")
    small_cell: int = Field(
        10,
        description="Count tables: cells and totals from 1 to this − 1 are suppressed, and "
        "further cells until none can be worked back from the totals.",
    )
    max_epsilon: float = Field(
        1.0,
        description="Count tables: the largest ε an analyst may choose for differentially "
        "private counts (smaller ε: more noise, more privacy).",
    )
    suppression_limit: float = Field(
        0.02, description="Releases: share of rows that may be suppressed instead of generalised."
    )
    match_threshold: float = Field(0.95, description="Linkage: match probability for a link.")
    review_floor: float = Field(
        0.5, description="Linkage: pairs from here up to the threshold go to clerical review."
    )
    max_deposit_mb: int = Field(512, description="Largest extract accepted for a deposit (MB).")
