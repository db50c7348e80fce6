"""FinOps state: ingests, rates, allocation rules, baselines, budgets, alerts,
recommendations, the BPR register, the public SaaS list, joint procurement, trainings.

Cost rows themselves live in the Parquet lake (``rengo.finops.lake``), not here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
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


class Ingest(Base):
    """One ``rengo finops ingest`` run: what came in, what was replaced, what deviated."""

    __tablename__ = "finops_ingests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    format: Mapped[str] = mapped_column(String(16))
    files: Mapped[list[str]] = mapped_column(JSONType, default=list)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    partitions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    deviations: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    totals: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    """Native and converted totals per currency: {"native": {...}, "lake": {...}}."""


class ExchangeRate(Base):
    __tablename__ = "finops_exchange_rates"
    __table_args__ = (UniqueConstraint("day", "base", "quote", name="uq_finops_rate_day_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[float] = mapped_column(Float)
    """1 unit of ``base`` is ``rate`` units of ``quote``."""
    source: Mapped[str] = mapped_column(String(128), default="")


class AllocationRule(Base):
    """Maps cost rows to a ward and business system, or to a shared pool."""

    __tablename__ = "finops_allocation_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    field: Mapped[str] = mapped_column(String(32))
    tag_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    pattern: Mapped[str] = mapped_column(String(256))
    ward: Mapped[str | None] = mapped_column(String(8), nullable=True)
    ward_from_value: Mapped[bool] = mapped_column(Boolean, default=False)
    """Take the ward from the matched value itself (a tag holding a ward code or name)."""
    business_system: Mapped[str | None] = mapped_column(String(32), nullable=True)
    system_from_value: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_pool: Mapped[str | None] = mapped_column(String(64), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SharedPool(Base):
    """A shared cost (network, common platform, the joint centre) and how it is split."""

    __tablename__ = "finops_shared_pools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))  # even | usage | population
    wards: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Wards sharing the pool; empty means all 23."""
    description: Mapped[str] = mapped_column(Text, default="")


class Baseline(Base):
    """Pre-migration annual operating cost of a ward's business system (or whole ward)."""

    __tablename__ = "finops_baselines"
    __table_args__ = (UniqueConstraint("ward", "business_system", name="uq_finops_baseline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    business_system: Mapped[str] = mapped_column(String(32), default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    annual_cost: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class Budget(Base):
    __tablename__ = "finops_budgets"
    __table_args__ = (
        UniqueConstraint("ward", "business_system", "fiscal_year", name="uq_finops_budget"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    business_system: Mapped[str] = mapped_column(String(32), default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(128), default="")


class Alert(Base):
    """An anomaly, level shift or forecast-over-budget, waiting to be notified and handled."""

    __tablename__ = "finops_alerts"
    __table_args__ = (Index("ix_finops_alerts_ward_status", "ward", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(256), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # spike | level_shift | budget
    ward: Mapped[str] = mapped_column(String(8))
    business_system: Mapped[str] = mapped_column(String(32), default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[date] = mapped_column(Date, index=True)
    actual: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Recommendation(Base):
    __tablename__ = "finops_recommendations"
    __table_args__ = (Index("ix_finops_recs_ward_status", "ward", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    ward: Mapped[str] = mapped_column(String(8))
    business_system: Mapped[str] = mapped_column(String(32), default="")
    provider: Mapped[str] = mapped_column(String(64), default="")
    service: Mapped[str] = mapped_column(String(200), default="")
    resource_id: Mapped[str] = mapped_column(String(512), default="")
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    monthly_cost: Mapped[float] = mapped_column(Float, default=0.0)
    estimated_monthly_saving: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    realised_monthly_saving: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecommendationEvent(Base):
    __tablename__ = "finops_recommendation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("finops_recommendations.id"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class BprCase(Base):
    """A business process reviewed by a ward: staff hours before and after, and how."""

    __tablename__ = "finops_bpr_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    business_system: Mapped[str] = mapped_column(String(32), default="")
    process_name: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(32))
    hours_before: Mapped[float] = mapped_column(Float)
    hours_after: Mapped[float] = mapped_column(Float)
    implemented_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    reused_from: Mapped[int | None] = mapped_column(
        ForeignKey("finops_bpr_cases.id"), nullable=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class BprDispatch(Base):
    """A ward's request for the joint BPR support team: the experts sent, the outcome, and
    the BPR case (hours before and after) it led to."""

    __tablename__ = "finops_bpr_dispatches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    business_system: Mapped[str] = mapped_column(String(32), default="")
    topic: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="requested")
    """requested | assigned | closed"""
    requested_by: Mapped[str] = mapped_column(String(128), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    experts: Mapped[list[str]] = mapped_column(JSONType, default=list)
    assigned_by: Mapped[str] = mapped_column(String(128), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    bpr_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("finops_bpr_cases.id"), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BprVisit(Base):
    """One visit of the support team to the ward: who went, when, for how long, what was done."""

    __tablename__ = "finops_bpr_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispatch_id: Mapped[int] = mapped_column(ForeignKey("finops_bpr_dispatches.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    expert: Mapped[str] = mapped_column(String(128))
    hours: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(128), default="")


class SaasProduct(Base):
    __tablename__ = "finops_saas_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    vendor: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    ismap_id: Mapped[str] = mapped_column(String(64), default="")
    """ISMAP (or ISMAP-LIU) registration number; empty when not registered."""
    data_in_japan: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    lgwan: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(16), default="manual")


class SaasUsage(Base):
    __tablename__ = "finops_saas_usage"
    __table_args__ = (UniqueConstraint("product_id", "ward", name="uq_finops_saas_usage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("finops_saas_products.id"), index=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    since: Mapped[date | None] = mapped_column(Date, nullable=True)


class JointProcurement(Base):
    __tablename__ = "finops_joint_procurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("finops_saas_products.id"), nullable=True
    )
    business_system: Mapped[str] = mapped_column(String(32), default="")
    wards: Mapped[list[str]] = mapped_column(JSONType, default=list)
    procured_on: Mapped[date] = mapped_column(Date, index=True)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Training(Base):
    __tablename__ = "finops_trainings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(16))  # finops | bpr
    held_on: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    material: Mapped[str] = mapped_column(String(500), default="", server_default="")
    """The training's material: a document reference or address."""
    guideline_version: Mapped[str] = mapped_column(String(16), default="", server_default="")
    """The version of the FinOps guideline it taught (``rengo.finops.guideline``)."""


class TrainingAttendance(Base):
    __tablename__ = "finops_training_attendance"
    __table_args__ = (UniqueConstraint("training_id", "ward", name="uq_finops_attendance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("finops_trainings.id"), index=True)
    ward: Mapped[str] = mapped_column(String(8))
    participants: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Participants who completed it (the course and its check)."""


class BudgetImport(Base):
    """One budget/settlement file imported (``rengo.finops.budget_import``)."""

    __tablename__ = "finops_budget_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    filename: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    """Lines of earlier imports of the same (ward, fiscal year, stage) it replaced."""


class BudgetLine(Base):
    """One line of a ward's information-system budget or settlement (予算・決算)."""

    __tablename__ = "finops_budget_lines"
    __table_args__ = (Index("ix_finops_budget_lines_scope", "ward", "fiscal_year", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("finops_budget_imports.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    """Its line in the imported file."""
    ward: Mapped[str] = mapped_column(String(8))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))  # budget | settlement
    scope: Mapped[str] = mapped_column(String(16))  # current | standard | security
    business_system: Mapped[str] = mapped_column(String(32), default="")
    """One of the 20 standard business systems; empty: common to them (allocated)."""
    category: Mapped[str] = mapped_column(String(16))
    amount: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200), default="")


class ExternalSaving(Base):
    """A cloud saving made outside rengo (reserved capacity bought directly, a contract
    renegotiated) that the bill does not show, recorded with its evidence."""

    __tablename__ = "finops_external_savings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # reserved_capacity | contract | other
    realised_on: Mapped[date] = mapped_column(Date, index=True)
    annual_saving: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(String(500))
    """Where the proof is: contract or order number, document reference."""
    description: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchitectureReview(Base):
    """A reviewer's record of one system's architecture review before migration: the
    checklist's findings as they stood (snapshot), the decision and the action items."""

    __tablename__ = "finops_architecture_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    business_system: Mapped[str] = mapped_column(String(32), default="")
    asset_id: Mapped[int] = mapped_column(Integer, index=True)
    """The asset register's record of the system (``assets``; no foreign key across
    domains' migrations)."""
    decision: Mapped[str] = mapped_column(String(16))
    """``accepted`` or ``action_required``."""
    action_items: Mapped[list[str]] = mapped_column(JSONType, default=list)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewer: Mapped[str] = mapped_column(String(128))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
