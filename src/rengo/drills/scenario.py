"""The scenario document (schema version 1): story, injects and expectations.

A scenario is YAML (``rengo.drills.loader`` reads it with line marks). Its JSON Schema is
``Scenario.model_json_schema()`` (``rengo drills schema``, and in ``docs/drills.md``).
Every text shown to people is given in Japanese and English (``Text``).
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,63}$")]
DraftName = Literal["mayor_report", "authority_notification", "press_statement"]
Recipient = Literal["mayor", "mic", "police", "ppc"]
"""Whom a CSIRT message reports to (``rengo.csirt.vocabulary.REPORT_RECIPIENTS``)."""
Technique = Annotated[str, Field(pattern=r"^T\d{4}(\.\d{3})?$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    ja: str = Field(min_length=1, description="Japanese (shown first)")
    en: str = Field(min_length=1, description="English")


class ExerciseKind(enum.StrEnum):
    LIVE = "live"
    """Telemetry replayed through the real SOC/CSIRT pipeline."""
    TABLETOP = "tabletop"
    """Injects to people; decisions and drafts are recorded."""


class Telemetry(_Strict):
    template: str = Field(description="Name of a telemetry template (rengo drills templates)")
    count: int = Field(1, ge=1, le=20_000, description="How many attack records to emit")
    noise: int = Field(0, ge=0, le=50_000, description="Benign records mixed in")
    spread_seconds: float = Field(60.0, ge=0, description="Records spread over this long")
    params: dict[str, Any] = Field(default_factory=dict, description="Template inputs")


class Decision(_Strict):
    question: Text
    options: list[Text] = Field(min_length=2)


class Inject(_Strict):
    id: Slug
    at_minutes: float = Field(0.0, ge=0, description="Minutes after the start (or `after`)")
    after: str | None = Field(None, description="Id of the inject this one follows")
    wards: Literal["all", "first", "others"] = Field(
        "all", description="Which of the exercise's wards receive it"
    )
    telemetry: Telemetry | None = None
    message: Text | None = Field(None, description="Situation update shown to participants")
    decision: Decision | None = None


class ExpectationKind(enum.StrEnum):
    DETECTION = "detection"
    """An alert raised by a rule (``rule``: id or title) in each targeted ward."""
    CAMPAIGN = "campaign"
    """A cross-ward campaign alert joining the wards."""
    INCIDENT = "incident"
    """An incident opened from the exercise's alerts."""
    CONTAINMENT = "containment"
    """An incident contained."""
    DECISION = "decision"
    """A decision point answered (tabletop)."""
    DRAFT = "draft"
    """A draft written (tabletop: report to the mayor, notification, press statement)."""
    ADVISORY = "advisory"
    """An intel advisory sent to the exercise's wards (naming the exercise id)."""
    NOTIFICATION = "notification"
    """The CSIRT reported, on the exercise's incident, to everyone in ``notify``
    (the ward mayor; MIC, police, PPC)."""


class Expectation(_Strict):
    id: Slug
    kind: ExpectationKind
    rule: str | None = Field(None, description="Sigma rule id or title (detection, campaign)")
    inject: str | None = Field(None, description="Inject it answers (decision)")
    draft: DraftName | None = Field(None, description="Draft template (draft)")
    notify: list[Recipient] = Field(
        default_factory=list,
        description="Who must have been told (notification): mayor, mic, police, ppc",
    )
    within_minutes: float = Field(60.0, gt=0, description="Time allowed from the start")
    wards: Literal["all", "first", "others"] = Field(
        "all", description="Which of the exercise's wards it is expected in (per-ward kinds)"
    )
    owner: Literal["ward", "joint"] = Field(
        "joint", description="Who a follow-up task goes to when it is missed"
    )
    title: Text


class WardSelection(_Strict):
    count: int = Field(1, ge=1, le=23, description="Wards needed when none are named at run")
    codes: list[str] = Field(default_factory=list, description="Default ward codes")


class Scenario(_Strict):
    schema_version: Literal[1] = Field(description="Version of this schema (1)")
    id: Slug
    version: int = Field(ge=1, description="Version of the scenario itself")
    kind: ExerciseKind
    title: Text
    story: Text
    techniques: list[Technique] = Field(default_factory=list)
    wards: WardSelection = Field(default_factory=WardSelection)
    injects: list[Inject] = Field(min_length=1)
    expectations: list[Expectation] = Field(default_factory=list)

    def inject(self, inject_id: str) -> Inject:
        return next(i for i in self.injects if i.id == inject_id)
