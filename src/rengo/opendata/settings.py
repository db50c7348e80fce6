"""Settings of the open-data portal: ``[opendata]`` in rengo.toml, ``RENGO_OPENDATA__*``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core.settings import section


@section("opendata")
class OpendataSettings(BaseModel):
    lat_min: float = Field(35.48, description="Southern edge of the 23 wards (緯度) for checks.")
    lat_max: float = Field(35.83, description="Northern edge of the 23 wards (緯度) for checks.")
    lng_min: float = Field(139.56, description="Western edge of the 23 wards (経度) for checks.")
    lng_max: float = Field(139.93, description="Eastern edge of the 23 wards (経度) for checks.")
    max_problems: int = Field(
        1000, ge=1, description="Validation problems listed per upload (all are counted)."
    )
    default_license: str = Field("CC-BY-4.0", description="Licence of a dataset that names none.")
    anonymous_requests_per_minute: int = Field(
        600, ge=1, description="CKAN API requests per minute allowed to one anonymous client."
    )
    submissions_per_hour: int = Field(
        5,
        ge=1,
        description="Reuses and contest entries one anonymous address may submit per hour.",
    )
    tile_url: str = Field(
        "",
        description="Map tile URL template ({z}/{x}/{y}); empty draws no basemap (offline).",
    )
