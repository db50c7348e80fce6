"""Tables of EBPM: policies and their logic models, indicators with actuals per period,
versions and approvals, evaluation plans and results, resident surveys, training records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow
from rengo.ebpm.zone import models as _zone_models  # noqa: F401 - registers the zone's models


class Policy(Base):
    """A ward's policy (施策) with its logic model's purpose; elements and indicators hang
    off it."""

    __tablename__ = "ebpm_policies"
    __table_args__ = (Index("ix_ebpm_policies_tenant_fy", "tenant", "fiscal_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(128))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    is_new: Mapped[bool] = mapped_column(Boolean, default=True)
    budget_line: Mapped[str] = mapped_column(String(128), default="")
    budget_yen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    """draft → submitted → dept_approved → approved (published); a rejection returns to draft."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Element(Base):
    """One box of the logic model: an input, activity, output, outcome or the impact."""

    __tablename__ = "ebpm_elements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("ebpm_policies.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)


class Indicator(Base):
    """What measures an element: definition, unit, baseline, target and where data comes from."""

    __tablename__ = "ebpm_indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("ebpm_policies.id"), index=True)
    element_id: Mapped[int | None] = mapped_column(
        ForeignKey("ebpm_elements.id"), nullable=True, index=True
    )
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(32), default="")
    direction: Mapped[str] = mapped_column(String(16), default="increase")
    baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    target: Mapped[float | None] = mapped_column(Float, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="file")
    """file | survey | metric"""
    metric_target: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """A scoreboard target id (``rengo.targets.registry``) when ``source`` is metric."""
    survey_question: Mapped[str | None] = mapped_column(String(200), nullable=True)
    key_outcome: Mapped[bool] = mapped_column(Boolean, default=False)
    """Designated key outcome indicator: counted in measure 3's KGI."""


class Actual(Base):
    """The measured value of an indicator for one period (with a margin for surveys)."""

    __tablename__ = "ebpm_actuals"
    __table_args__ = (UniqueConstraint("indicator_id", "period_end", name="uq_ebpm_actuals"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("ebpm_indicators.id"), index=True)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    margin: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Half-width of the 95 % interval (survey sampling error)."""
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(80), default="manual")
    """manual | survey | metric:<scoreboard target id> (a snapshot of a live metric)."""


class PolicyVersion(Base):
    """A frozen copy of the whole logic model at each version (what was approved stays)."""

    __tablename__ = "ebpm_policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version", name="uq_ebpm_policy_versions"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("ebpm_policies.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Approval(Base):
    """One step of the approval flow: who decided what about which version."""

    __tablename__ = "ebpm_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("ebpm_policies.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Evaluation(Base):
    """An evaluation plan of a policy (design, comparison group, timing) and its results."""

    __tablename__ = "ebpm_evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("ebpm_policies.id"), index=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("ebpm_indicators.id"), nullable=True
    )
    design: Mapped[str] = mapped_column(String(32))
    comparison_group: Mapped[str] = mapped_column(Text, default="")
    timing: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvaluationResult(Base):
    """One estimate with its interval, assumptions and diagnostics (evidence for an indicator)."""

    __tablename__ = "ebpm_evaluation_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("ebpm_evaluations.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    estimate: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    ci_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """assumptions (list of text), diagnostics (name → value), data source."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))


class SurveyResult(Base):
    """One question of a ward's resident survey (住民意識調査) in one year."""

    __tablename__ = "ebpm_survey_results"
    __table_args__ = (
        UniqueConstraint("tenant", "year", "question", name="uq_ebpm_survey_results"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    year: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(String(200))
    shares: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    """Answer → share in percent."""
    positive_pct: Mapped[float] = mapped_column(Float)
    sample_size: Mapped[int] = mapped_column(Integer)
    margin_pct: Mapped[float] = mapped_column(Float)
    source_file: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Course(Base):
    """A data-literacy course: the required basic one, advanced ones, sessions, e-learning."""

    __tablename__ = "ebpm_courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    """basic | advanced"""
    mode: Mapped[str] = mapped_column(String(16))
    """session | elearning"""
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    audience: Mapped[str] = mapped_column(String(16), default="all")
    """all | policy"""


class Completion(Base):
    """One member of staff completed one course."""

    __tablename__ = "ebpm_completions"
    __table_args__ = (
        UniqueConstraint("tenant", "staff_id", "course_id", name="uq_ebpm_completions"),
        Index("ix_ebpm_completions_tenant_course", "tenant", "course_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(128), default="")
    course_id: Mapped[int] = mapped_column(ForeignKey("ebpm_courses.id"))
    completed_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    """import | manual | demo"""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffCount(Base):
    """Staff per ward and department: the training KPI's denominator."""

    __tablename__ = "ebpm_staff_counts"
    __table_args__ = (UniqueConstraint("tenant", "department", name="uq_ebpm_staff_counts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    department: Mapped[str] = mapped_column(String(128))
    staff: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)


class StaffMember(Base):
    """One member of a ward's staff from the HR roster: whom a training reminder reaches."""

    __tablename__ = "ebpm_staff"
    __table_args__ = (UniqueConstraint("tenant", "staff_id", name="uq_ebpm_staff"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    staff_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128), default="")
    department: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str] = mapped_column(String(256), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(Base):
    """One reminder to complete a required course, sent to one member of staff."""

    __tablename__ = "ebpm_training_reminders"
    __table_args__ = (Index("ix_ebpm_training_reminders_staff", "tenant", "staff_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8))
    staff_id: Mapped[str] = mapped_column(String(64))
    course_id: Mapped[int] = mapped_column(ForeignKey("ebpm_courses.id"))
    email: Mapped[str] = mapped_column(String(256))
    delivery_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The ``notification_deliveries`` row that carries it (the delivery log)."""
    trigger: Mapped[str] = mapped_column(String(16))
    """scheduled | manual"""
    actor: Mapped[str] = mapped_column(String(128), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
