"""Settings of joint cyber exercises (``[drills]`` in rengo.toml, ``RENGO_DRILLS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core.settings import section


@section("drills")
class DrillsSettings(BaseModel):
    ingest_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL of the running rengo server whose ingest API a live exercise "
        "sends its telemetry to (as a ward's collector would).",
    )
    default_speed: float = Field(
        1.0, description="Time compression of a live exercise when none is given (×N)."
    )
    poll_seconds: float = Field(
        2.0, description="How often a running exercise looks for alerts and incidents."
    )
    followup_due_days: int = Field(
        30, description="Days after the exercise by which a follow-up task is due."
    )
    max_telemetry_records: int = Field(
        200_000, description="Most telemetry records one exercise may generate."
    )
    takeover_seconds: float = Field(
        30.0,
        description="A running live exercise whose runner has not ticked for this long "
        "(the server restarted) is taken up by the server: resumed, or marked interrupted "
        "as the planner chose.",
    )
