"""Settings of joint cyber exercises (``[drills]`` in rengo.toml, ``RENGO_DRILLS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core.settings import Settings, section


@section("drills")
class DrillsSettings(BaseModel):
    ingest_url: str | None = Field(
        None,
        description="Base URL of the running rengo server whose ingest API a live exercise "
        "sends its telemetry to (as a ward's collector would); by default this server's "
        "own address (the host and port settings), e.g. set it to a load balancer.",
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


def ingest_url(settings: Settings) -> str:
    """Where a runner sends telemetry when no request tells it: ``drills.ingest_url``, else
    the address this server listens on (a wildcard address is reached on loopback)."""
    configured = settings.section(DrillsSettings).ingest_url
    if configured:
        return configured.rstrip("/")
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(settings.host, settings.host)  # noqa: S104 - read, never bound here
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"
