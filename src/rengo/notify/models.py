"""Tables of messaging: on-call teams, their members and rotas, pages, and the
notification delivery log.

The table names keep their historical ``csirt_`` prefix and are created by the csirt
branch's revisions ``csirt_0001``/``csirt_0002`` (the package moved out of the CSIRT;
existing databases upgrade unchanged). A page may name the incident it is about
(``incident_id``): the CSIRT's listener writes its timeline (``rengo.notify.hooks``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime


class OnCallTeam(Base):
    __tablename__ = "csirt_oncall_teams"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    """csirt | ward_contact | executives | finance"""
    manager: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ack_minutes: Mapped[int] = mapped_column(Integer, default=15)
    webhook_url: Mapped[str] = mapped_column(String(1024), default="")
    webhook_secret_name: Mapped[str] = mapped_column(String(64), default="")
    escalation: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """The escalation policy: ``[{"target", "user", "minutes"}, …]``; empty: the default
    (on call → next on call → manager, ``ack_minutes`` each). See ``rengo.notify.escalation``."""


class TeamMember(Base):
    """A person of an on-call team, in rota order (rotas take members in this order)."""

    __tablename__ = "csirt_oncall_members"
    __table_args__ = (UniqueConstraint("team_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("csirt_oncall_teams.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)


class Shift(Base):
    __tablename__ = "csirt_oncall_shifts"
    __table_args__ = (Index("ix_csirt_oncall_shifts_team_start", "team_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("csirt_oncall_teams.id"))
    username: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handover_note: Mapped[str] = mapped_column(Text, default="")
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OnCallPage(Base):
    """One call for a team's attention; escalates until someone acknowledges it."""

    __tablename__ = "csirt_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("csirt_oncall_teams.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("csirt_incidents.id"), nullable=True, index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    level: Mapped[int] = mapped_column(Integer, default=0)
    """The step of the team's escalation policy (default: 0 on call, 1 next, 2 manager)."""
    target: Mapped[str] = mapped_column(String(64), default="")
    """Who the current step calls, for display (``called`` has everyone so far)."""
    called: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ack_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    """open | acknowledged | exhausted"""
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    next_escalation_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, index=True
    )


class Delivery(Base):
    """One notification to one recipient over one channel, with its retries."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (Index("ix_notification_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    tenant: Mapped[str | None] = mapped_column(String(8), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    """email | webhook"""
    recipient: Mapped[str] = mapped_column(String(1024))
    secret_name: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(1024), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | sending | sent | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reference: Mapped[str] = mapped_column(String(64), default="")
    """What it is about, e.g. 'page:12' or 'incident:7'."""
    retry_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """A failed delivery sent again by hand is a new row pointing at the failed one."""
