"""The asset register's settings section (``[assets]``, ``RENGO_ASSETS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core import settings


@settings.section("assets")
class AssetSettings(BaseModel):
    confidentiality_levels: list[int] = Field(
        [1, 2, 3], description="機密性 levels of the MIC guideline (3 = most sensitive)."
    )
    integrity_levels: list[int] = Field([1, 2], description="完全性 levels (2 = highest).")
    availability_levels: list[int] = Field([1, 2], description="可用性 levels (2 = highest).")
