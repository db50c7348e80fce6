"""What the API and pages accept and return for policies, indicators and evaluations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rengo.core.errors import InvalidValue
from rengo.core.types import TenantCode

StageKey = Literal["inputs", "activities", "outputs", "short_term", "mid_term", "impact"]
SourceKey = Literal["file", "survey", "metric"]
DirectionKey = Literal["increase", "decrease"]
TemplateKey = Literal["childcare", "elderly", "disaster"]
DesignKey = Literal["before_after", "did", "its", "synthetic_control"]
StatusKey = Literal["draft", "submitted", "dept_approved", "approved"]
TransitionKey = Literal[
    "submit", "approve_dept", "return_dept", "approve_budget", "return_budget", "revise"
]
MAX_ID = 2**31 - 1
"""Ids in bodies are bounded like ids in paths: no database is asked for an impossible id."""


class PolicyFields(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="Name of the policy (施策名)")
    department: str = Field(min_length=1, max_length=128, description="Responsible department")
    fiscal_year: int = Field(ge=2000, le=2100, description="Fiscal year (年度) it starts in")
    is_new: bool = Field(True, description="New policy (新規) rather than continuing (継続)")
    budget_line: str = Field("", max_length=128, description="Budget line (予算事業名)")
    budget_yen: int | None = Field(None, ge=0, le=10**13, description="Budget in yen")
    purpose: str = Field("", max_length=4000, description="Purpose (目的)")


class PolicyCreate(PolicyFields):
    ward: TenantCode | None = Field(None, description="Ward code; a ward's staff may omit it")
    template: TemplateKey | None = Field(None, description="Start from a template")


class PolicyPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    department: str | None = Field(None, min_length=1, max_length=128)
    fiscal_year: int | None = Field(None, ge=2000, le=2100)
    is_new: bool | None = None
    budget_line: str | None = Field(None, max_length=128)
    budget_yen: int | None = Field(None, ge=0, le=10**13)
    purpose: str | None = Field(None, max_length=4000)


class ElementCreate(BaseModel):
    stage: StageKey
    text: str = Field(min_length=1, max_length=2000)


class IndicatorFields(BaseModel):
    element_id: int | None = Field(None, ge=1, le=MAX_ID, description="The element it measures")
    name: str = Field(min_length=1, max_length=200)
    definition: str = Field("", max_length=2000)
    unit: str = Field("", max_length=32)
    direction: DirectionKey = "increase"
    baseline: float | None = None
    baseline_date: date | None = None
    target: float | None = None
    source: SourceKey = "file"
    metric_target: str | None = Field(
        None, max_length=64, description="Scoreboard target id when source is metric"
    )
    survey_question: str | None = Field(
        None, max_length=200, description="Survey question when source is survey"
    )
    key_outcome: bool = Field(False, description="Counted in measure 3's KGI")

    @model_validator(mode="after")
    def _source_has_its_link(self) -> IndicatorFields:
        if self.source == "metric" and not self.metric_target:
            raise InvalidValue("a live metric needs metric_target (a scoreboard target id)")
        if self.source == "survey" and not self.survey_question:
            raise InvalidValue("a survey indicator needs survey_question")
        return self


class IndicatorPatch(BaseModel):
    element_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str | None = Field(None, min_length=1, max_length=200)
    definition: str | None = Field(None, max_length=2000)
    unit: str | None = Field(None, max_length=32)
    direction: DirectionKey | None = None
    baseline: float | None = None
    baseline_date: date | None = None
    target: float | None = None
    source: SourceKey | None = None
    metric_target: str | None = Field(None, max_length=64)
    survey_question: str | None = Field(None, max_length=200)
    key_outcome: bool | None = None


class ActualCreate(BaseModel):
    period_end: date = Field(description="Last day of the period measured")
    value: float = Field(ge=-1e12, le=1e12)
    margin: float | None = Field(None, ge=0, description="Half-width of the 95 % interval")
    note: str = Field("", max_length=200)


class TransitionIn(BaseModel):
    action: TransitionKey
    comment: str = Field("", max_length=2000)


class EvaluationCreate(BaseModel):
    indicator_id: int | None = Field(None, ge=1, le=MAX_ID)
    design: DesignKey
    comparison_group: str = Field("", max_length=2000)
    timing: str = Field("", max_length=200)


class Observation(BaseModel):
    unit: str = Field(min_length=1, max_length=64, description="Ward or group")
    period: int = Field(ge=-10_000, le=1_000_000, description="Period number (e.g. year)")
    value: float = Field(ge=-1e12, le=1e12)
    treated: bool = False


class EvaluationRun(BaseModel):
    method: DesignKey
    intervention_period: int = Field(
        ge=-10_000, le=1_000_000, description="First period under the policy"
    )
    observations: list[Observation] = Field(min_length=4, max_length=100_000)


# -- output ------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ActualOut(_Out):
    period_end: date
    value: float = Field(ge=-1e12, le=1e12)
    margin: float | None
    note: str


class IndicatorOut(_Out):
    id: int
    policy_id: int
    element_id: int | None
    name: str
    definition: str
    unit: str
    direction: str
    baseline: float | None
    baseline_date: date | None
    target: float | None
    source: str
    metric_target: str | None
    survey_question: str | None
    key_outcome: bool
    actuals: list[ActualOut] = []


class ElementOut(_Out):
    id: int
    stage: str
    position: int
    text: str


class PolicyOut(_Out):
    id: int
    ward: TenantCode = Field(validation_alias="tenant")
    title: str
    department: str
    fiscal_year: int
    is_new: bool
    budget_line: str
    budget_yen: int | None
    purpose: str
    template: str | None
    status: str
    version: int
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None


class PolicyDetailOut(PolicyOut):
    elements: list[ElementOut] = []
    indicators: list[IndicatorOut] = []
    approvals: list[dict[str, Any]] = []
