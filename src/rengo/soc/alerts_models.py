"""Tables of the alert queue: alerts, their events and history, rule tuning, suppressions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = ("new", "acknowledged", "closed")
KINDS = ("sigma", "correlation", "campaign", "intel")
LEVELS = ("informational", "low", "medium", "high", "critical")
CLOSE_REASONS = ("true_positive", "false_positive", "benign", "duplicate", "incident_opened")


class Alert(Base):
    __tablename__ = "soc_alerts"
    __table_args__ = (
        Index("ix_soc_alerts_queue", "tenant", "status", "last_seen"),
        Index("ix_soc_alerts_group", "dedup_key", "status"),
        # Campaign detection looks up the alerts of one indicator or source address.
        Index("ix_soc_alerts_indicator", "indicator", "last_seen"),
        Index("ix_soc_alerts_src_ip", "src_ip", "last_seen"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    """``ALR-<yyyymmdd>-<8 hex>``: the id the CSIRT quotes when it opens an incident."""
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    """The ward the alert belongs to; ``joint`` for campaigns spanning wards."""
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="sigma")
    """sigma (rules) | intel (indicator hits) | campaign (cross-ward)"""
    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_title: Mapped[str] = mapped_column(String(300))
    rule_pack: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[int] = mapped_column(Integer, default=2)
    """Position of ``level`` in LEVELS (sortable)."""
    techniques: Mapped[list[str]] = mapped_column(JSONType, default=list)
    technique_text: Mapped[str] = mapped_column(String(400), default="", index=True)
    """``|T1110|T1110.003|`` for filtering by technique on both databases."""
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    assignee: Mapped[str] = mapped_column(String(64), default="")
    close_reason: Mapped[str] = mapped_column(String(32), default="")
    close_note: Mapped[str] = mapped_column(Text, default="")
    dedup_key: Mapped[str] = mapped_column(String(200))
    host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    src_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    indicator: Mapped[str | None] = mapped_column(String(300), nullable=True)
    """For intel alerts: the indicator reference (e.g. a STIX id) that matched."""
    group: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    wards: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Every ward involved (one for a ward alert; all of them for a campaign)."""
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("soc_alerts.id"), nullable=True, index=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="real")
    exercise_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    """The exercise (``EX-…``) whose replayed telemetry raised it (``origin=exercise``)."""
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    detections: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertEvent(Base):
    """An event an alert matched (the lake keeps the event itself)."""

    __tablename__ = "soc_alert_events"
    __table_args__ = (UniqueConstraint("alert_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("soc_alerts.id"), index=True)
    event_id: Mapped[str] = mapped_column(String(128), index=True)
    ward: Mapped[str] = mapped_column(String(8))
    time: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertChange(Base):
    """Who changed an alert, how and why (the queue's history)."""

    __tablename__ = "soc_alert_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("soc_alerts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RuleSetting(Base):
    """A rule switched off, or its level changed, for one ward (or ``joint``: all wards)."""

    __tablename__ = "soc_rule_settings"
    __table_args__ = (UniqueConstraint("tenant", "rule_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=True)
    level: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Suppression(Base):
    """Detections that match are dropped until ``expires_at``; always with a reason."""

    __tablename__ = "soc_suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8), index=True)
    """The ward it applies to; ``joint``: every ward."""
    rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    field: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """host | user | src_ip (``None``: every detection of the rule)."""
    value: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hits: Mapped[int] = mapped_column(Integer, default=0)
