"""Tables of the joint CSIRT: incidents and everything hung on them, containment actions,
and security cost entries (on-call rotas, pages and deliveries: ``rengo.notify.models``).

Times are aware UTC (``UTCDateTime``). Which wards an incident concerns lives in
``csirt_incident_wards`` (one row per ward, with a copy of the detection time so that a
ward's incident list is one index range scan even with 100,000 incidents).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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


class Incident(Base):
    __tablename__ = "csirt_incidents"
    __table_args__ = (Index("ix_csirt_incidents_status_detected", "status", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32))
    impact: Mapped[int] = mapped_column(Integer, default=1)
    urgency: Mapped[int] = mapped_column(Integer, default=2)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    lead_ward: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    source: Mapped[str] = mapped_column(String(16), default="manual")
    """alert | manual | ward_report | split"""
    reported_by: Mapped[str] = mapped_column(String(128), default="")
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    contained_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    eradicated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    people_affected: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outage_system: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outage_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outage_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    major: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    major_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    major_reason: Mapped[str] = mapped_column(String(200), default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    report_summary: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    review_notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("csirt_incidents.id"), nullable=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="real")
    """real | demo | exercise"""
    exercise_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """The exercise (``EX-…``) this incident was opened in (``origin=exercise``)."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def ref(self) -> str:
        return f"INC-{self.id:06d}"


class IncidentWard(Base):
    __tablename__ = "csirt_incident_wards"
    __table_args__ = (Index("ix_csirt_incident_wards_ward_detected", "ward", "detected_at"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), primary_key=True)
    ward: Mapped[str] = mapped_column(ForeignKey("tenants.code"), primary_key=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentAlert(Base):
    """A SOC alert attached to an incident, with what the incident needs of it."""

    __tablename__ = "csirt_incident_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), index=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True)
    ward: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    event_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    indicators: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)


class IncidentAsset(Base):
    __tablename__ = "csirt_incident_assets"

    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), primary_key=True)


class TimelineEntry(Base):
    __tablename__ = "csirt_timeline"
    __table_args__ = (Index("ix_csirt_timeline_incident_at", "incident_id", "at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))
    """alert | event | note | action | status | message | task | evidence | system"""
    actor: Mapped[str] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Task(Base):
    __tablename__ = "csirt_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evidence(Base):
    __tablename__ = "csirt_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128), default="application/octet-stream")
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    collected_by: Mapped[str] = mapped_column(String(128))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CustodyEntry(Base):
    """Chain of custody: every hand that touched a piece of evidence, and the hash it saw."""

    __tablename__ = "csirt_custody"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("csirt_evidence.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    """collected | downloaded | verified | transferred"""
    note: Mapped[str] = mapped_column(Text, default="")
    sha256_seen: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Indicator(Base):
    __tablename__ = "csirt_indicators"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """ipv4 | ipv6 | domain | url | email | md5 | sha1 | sha256"""
    value: Mapped[str] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(64))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    """A private address or a ward's own domain: never shared outside the incident."""
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Connector(Base):
    """Where a ward's containment actions are sent (its firewall, EDR, mail gateway …)."""

    __tablename__ = "csirt_connectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    """webhook | simulated"""
    url: Mapped[str] = mapped_column(String(1024), default="")
    secret_name: Mapped[str] = mapped_column(String(64), default="")
    capabilities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContainmentAction(Base):
    __tablename__ = "csirt_actions"
    __table_args__ = (Index("ix_csirt_actions_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("csirt_incidents.id"), index=True)
    ward: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("csirt_connectors.id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(1024))
    reason: Mapped[str] = mapped_column(Text, default="")
    disruptive: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    """pending_approval | approved | running | rejected | succeeded | failed

    ``approved`` with a connector means queued for the worker (``next_attempt_at``);
    ``running`` is claimed by a worker until its lease (``next_attempt_at``) runs out."""
    requested_by: Mapped[str] = mapped_column(String(128))
    requester_key: Mapped[str] = mapped_column(String(64))
    """Who asked, as an identity (user or token): the approver must be someone else."""
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempt_limit: Mapped[int] = mapped_column(Integer, default=0)
    """``attempts`` may grow to this; a retry by hand raises it by ``csirt.action_attempts``."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    external_ref: Mapped[str] = mapped_column(String(128), default="")
    response: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


class SimulatedEffect(Base):
    """What the simulated ward endpoint has done: the demo's firewall and EDR state."""

    __tablename__ = "csirt_simulated_effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(1024))
    reference: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CostEntry(Base):
    """A recorded security cost figure for one fiscal year (yen)."""

    __tablename__ = "csirt_cost_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    kind: Mapped[str] = mapped_column(String(24))
    """standalone_estimate (a ward alone) | joint_operating (the centre) | joint_share (a ward's %)"""
    amount_yen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    share_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
