"""Tables of joint cyber exercises: the exercise, its injects, results, follow-ups and the
people of a tabletop (participants, decisions, drafts).

An exercise keeps the scenario it ran (``scenario``: the validated document), so a
library change never rewrites history. Alerts and incidents an exercise caused carry its
``public_id`` in their own ``exercise_id`` column (``soc_alerts``, ``csirt_incidents``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow

STATUSES = ("planned", "running", "paused", "completed", "aborted", "interrupted")
OnRestart = Literal["resume", "interrupt"]
Transport = Literal["http", "syslog"]


class Exercise(Base):
    __tablename__ = "drills_exercises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    """``EX-<yyyymmdd>-<6 hex>``: the id events, alerts and incidents are tagged with."""
    kind: Mapped[str] = mapped_column(String(16), index=True)
    """live | tabletop"""
    scenario_id: Mapped[str] = mapped_column(String(64))
    scenario_version: Mapped[int] = mapped_column(Integer)
    scenario: Mapped[dict[str, Any]] = mapped_column(JSONType)
    title_ja: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    wards: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(16), default="planned", index=True)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the scenario's minute 0 is (planned, then actual)."""
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    join_code: Mapped[str | None] = mapped_column(String(12), nullable=True, unique=True)
    """Short code tabletop participants join with."""
    token_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    """The ward ingest tokens made for this exercise (revoked when it ends)."""
    telemetry_records: Mapped[int] = mapped_column(Integer, default=0)
    autostart_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """A live exercise planned to start by itself then (``--start-at``, the web form)."""
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """The runner's last tick: a running exercise whose runner stopped ticking (the
    server restarted) is taken up by the next server (``drills/supervisor.py``)."""
    delivered_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Every telemetry record due up to this moment was accepted by the ingest."""
    transport: Mapped[str] = mapped_column(String(8), default="http")
    """How a live exercise's telemetry is delivered: ``http`` or ``syslog``."""
    on_restart: Mapped[str] = mapped_column(String(16), default="resume")
    """``resume`` (a new runner goes on) or ``interrupt`` (marked interrupted)."""
    interrupted: Mapped[str] = mapped_column(Text, default="")
    """Why the exercise was interrupted (status ``interrupted``)."""
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExerciseWard(Base):
    """A ward taking part (for per-ward history and tenancy)."""

    __tablename__ = "drills_exercise_wards"

    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), primary_key=True)
    ward: Mapped[str] = mapped_column(ForeignKey("tenants.code"), primary_key=True)


class InjectRun(Base):
    """One inject for one ward (``joint`` for a message to everyone): due, sent, how much."""

    __tablename__ = "drills_injects"
    __table_args__ = (UniqueConstraint("exercise_id", "inject_id", "ward"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), index=True)
    inject_id: Mapped[str] = mapped_column(String(64))
    ward: Mapped[str] = mapped_column(String(8))
    due_minutes: Mapped[float] = mapped_column(Float)
    """Scenario minutes after the start."""
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class Result(Base):
    """One expectation for one ward (``joint`` for a campaign or a tabletop)."""

    __tablename__ = "drills_results"
    __table_args__ = (
        UniqueConstraint("exercise_id", "expectation_id", "ward"),
        Index("ix_drills_results_exercise", "exercise_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"))
    expectation_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    ward: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When the detection fired / the incident opened / containment / the answer came."""
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str] = mapped_column(String(128), default="")
    contained_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reference: Mapped[str] = mapped_column(String(64), default="")
    """The alert (``ALR-…``), incident (``INC-…``) or decision that met it."""


class FollowUp(Base):
    """A task from a missed expectation: a rule to write, a playbook to fix."""

    __tablename__ = "drills_followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), index=True)
    expectation_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    """The ward or ``joint`` it is assigned to."""
    title_ja: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(String(128), default="")
    """Who marked it done (``drills/followups.py``); empty while open."""
    done_note: Mapped[str] = mapped_column(Text, default="")
    """What was done (the rule written, the playbook fixed); empty while open."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Participant(Base):
    """Someone in a tabletop: an account, or a name joined with the exercise's code."""

    __tablename__ = "drills_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    tenant: Mapped[str] = mapped_column(String(8))
    username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 of the participant's cookie secret."""
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Decision(Base):
    """A participant's answer to a decision point, time-stamped and attributed."""

    __tablename__ = "drills_decisions"
    __table_args__ = (UniqueConstraint("exercise_id", "participant_id", "inject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("drills_participants.id"))
    inject_id: Mapped[str] = mapped_column(String(64))
    option: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Draft(Base):
    """A participant's draft from a template (report to the mayor, notification, press)."""

    __tablename__ = "drills_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("drills_exercises.id"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("drills_participants.id"))
    template: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
