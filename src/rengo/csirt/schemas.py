"""What the CSIRT's services take and give (pydantic): the API shows these in OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from rengo.core.errors import InvalidValue, refuse_null
from rengo.core.types import TenantCode
from rengo.csirt.vocabulary import ACTION_KINDS, CATEGORIES, REPORT_RECIPIENTS, STATUSES

Origin = Literal["real", "demo", "exercise"]
MAX_ID = 2**31 - 1


def _known(value: str, vocabulary: dict[str, Any], what: str) -> str:
    if value not in vocabulary:
        raise InvalidValue(
            "unknown {what} {value!r}; one of {vocabulary}",
            values={"what": what, "value": value, "vocabulary": ", ".join(vocabulary)},
        )
    return value


class OutageFields(BaseModel):
    people_affected: int | None = Field(
        None,
        ge=0,
        le=1_000_000_000,
        description="People whose personal data is affected (leaked or exposed).",
    )
    outage_system: str | None = Field(
        None, max_length=64, description="The core business system that is down, if any."
    )
    outage_started_at: AwareDatetime | None = Field(None, description="Core-system outage start.")
    outage_ended_at: AwareDatetime | None = Field(None, description="Core-system outage end.")


class IncidentCreate(OutageFields):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(
        None, max_length=200, description="Default: the first alert's title (when from alerts)."
    )
    description: str = ""
    category: str = Field(description="ransomware, unauthorised_access, information_leak, …")
    wards: list[str] = Field(
        default_factory=list,
        description="Ward codes affected; default the caller's ward, or the alerts' wards.",
    )
    alert_ids: list[str] = Field(
        default_factory=list, description="Public ids of SOC alerts to open the incident from."
    )
    source: Literal["manual", "ward_report"] = Field(
        "manual", description="How it reached the CSIRT when not from alerts."
    )
    urgency: int | None = Field(None, ge=1, le=3, description="Override the category's urgency.")
    occurred_at: AwareDatetime | None = Field(None, description="First malicious activity.")
    detected_at: AwareDatetime | None = Field(
        None, description="When it was detected (a ward's report may say); default now."
    )
    asset_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, description="Affected assets (register)."
    )
    origin: Origin = "real"

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        return _known(value, CATEGORIES, "category")


class IncidentPatch(OutageFields):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = None
    category: str | None = None
    urgency: int | None = Field(None, ge=1, le=3)
    wards: list[str] | None = Field(None, description="The full list of wards involved.")
    asset_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = None
    occurred_at: AwareDatetime | None = None
    cause: str | None = Field(None, description="Root cause (needed to close).")
    report_summary: str | None = Field(
        None, description="Impact and response in prose, for the report (needed to close)."
    )
    lessons: str | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return None if value is None else _known(value, CATEGORIES, "category")

    @field_validator(
        "title",
        "description",
        "category",
        "urgency",
        "wards",
        "asset_ids",
        "cause",
        "report_summary",
        "lessons",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # These have no empty value in the incident: null would reach the database (a 500).
        return refuse_null(value)


class TransitionIn(BaseModel):
    to: str = Field(description="new | triage | containment | eradication | recovery | closed")
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept on the timeline).")

    @field_validator("to")
    @classmethod
    def _status(cls, value: str) -> str:
        return _known(value, STATUSES, "status")


class ReviewIn(BaseModel):
    notes: str = Field(min_length=1, description="What the post-incident review found.")
    lessons: str = Field(min_length=1, description="Lessons learned and follow-ups.")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=20_000)
    kind: Literal["note", "message"] = Field(
        "note", description="note: for the responders; message: exchanged with a ward."
    )
    to: list[str] = Field(
        [],
        description="A message reporting to: " + ", ".join(REPORT_RECIPIENTS) + " (kind message)",
    )

    @field_validator("to")
    @classmethod
    def _to(cls, values: list[str]) -> list[str]:
        return sorted({_known(v, REPORT_RECIPIENTS, "recipient") for v in values})

    @model_validator(mode="after")
    def _reports_are_messages(self) -> NoteIn:
        if self.to and self.kind != "message":
            raise InvalidValue("only a message reports to someone (kind message)")
        return self


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    assignee: str | None = Field(None, max_length=64, description="User name.")
    due_at: AwareDatetime | None = None


class ActionIn(BaseModel):
    kind: str = Field(description=", ".join(ACTION_KINDS))
    target: str = Field(min_length=1, max_length=1024, description="Host, IP, domain, URL …")
    ward: TenantCode | None = Field(
        None, description="Ward that carries it out; default lead ward."
    )
    reason: str = Field("", max_length=2000)
    connector_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Default: the ward's enabled connector able to do this kind.",
    )

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return _known(value, ACTION_KINDS, "action kind")


class DecisionIn(BaseModel):
    note: str = Field("", max_length=2000)


class MergeIn(BaseModel):
    incident_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=100, description="Incidents merged into this one."
    )
    reason: str = Field(min_length=1, max_length=2000)


class SplitIn(BaseModel):
    alert_ids: list[str] = Field(min_length=1, description="Alerts that move to a new incident.")
    title: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ref: str
    title: str
    description: str
    category: str
    severity: str
    impact: int
    urgency: int
    status: str
    lead_ward: str
    wards: list[str]
    source: str
    occurred_at: datetime | None
    detected_at: datetime
    acknowledged_at: datetime | None
    contained_at: datetime | None
    eradicated_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None
    reviewed_at: datetime | None
    people_affected: int | None
    outage_system: str | None
    outage_started_at: datetime | None
    outage_ended_at: datetime | None
    major: bool
    major_at: datetime | None
    major_reason: str
    cause: str
    report_summary: str
    lessons: str
    merged_into_id: int | None
    origin: str
    version: int
    alert_ids: list[str] = Field(default_factory=list)
    asset_ids: list[int] = Field(default_factory=list)
    mttd_minutes: float | None = Field(None, description="Detection − first activity.")
    mtta_minutes: float | None = Field(None, description="Acknowledgement − detection.")
    mttc_minutes: float | None = Field(None, description="First containment − detection.")


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    kind: str
    actor: str
    summary: str
    detail: dict[str, Any]


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    ward: TenantCode
    connector_id: int | None
    kind: str
    target: str
    reason: str
    disruptive: bool
    status: str = Field(
        description="pending_approval | approved | running | rejected | succeeded | failed"
    )
    running: bool = Field(
        False, description="Approved and with the worker: being carried out or retried"
    )
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    completed_at: datetime | None
    attempts: int
    attempt_limit: int = Field(description="Attempts allowed before the action fails")
    next_attempt_at: datetime | None = Field(description="When the worker tries (again)")
    external_ref: str
    error: str = Field(description="The last attempt's error, also while retrying")

    @model_validator(mode="after")
    def _running(self) -> ActionOut:
        self.running = self.connector_id is not None and self.status in ("approved", "running")
        return self


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    title: str
    assignee: str | None
    due_at: datetime | None
    done_at: datetime | None
    created_by: str
    created_at: datetime


class EvidenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    description: str
    collected_by: str
    collected_at: datetime


class CustodyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    note: str
    sha256_seen: str | None


class IndicatorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    value: str
    source: str
    internal: bool
    first_seen_at: datetime
