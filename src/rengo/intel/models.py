"""Tables of the intelligence hub.

STIX objects are stored one row per version per collection, with the JSON as received
(compact) so that a TAXII page is a string join, never a re-serialisation. Each row's
``date_added`` is unique and increasing within its collection, in commit order: that is
what makes paging with ``next`` or ``added_after`` exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow

Urgency = Literal["urgent", "routine"]
"""Set when a ward's report is approved or an advisory published: ``urgent`` is the policy's
「緊急対応が必要なレベル」, what the KPI "critical threat information shared" counts."""
URGENCIES: tuple[str, ...] = get_args(Urgency)


class IntelCollection(Base):
    """A TAXII collection: who reads it, who writes it (tenant codes, '*' = every tenant)."""

    __tablename__ = "intel_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    alias: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    """shared | feeds | advisories | ward (a ward's own, private collection)"""
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    readers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    writers: Mapped[list[str]] = mapped_column(JSONType, default=list)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    """Anonymous clients may read its TLP:CLEAR objects."""
    owner: Mapped[str] = mapped_column(String(8))
    """The tenant whose objects these are by default ('joint' for the hub's collections)."""
    last_date_added: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    writes: Mapped[int] = mapped_column(Integer, default=0)
    """Bumped by every write: its row lock orders writers, so date_added follows commits."""


class IntelObject(Base):
    __tablename__ = "intel_objects"
    __table_args__ = (
        UniqueConstraint("collection_id", "date_added", name="uq_intel_objects_date_added"),
        Index("ix_intel_objects_coll_stix", "collection_id", "stix_id"),
        Index("ix_intel_objects_coll_latest", "collection_id", "is_latest", "date_added"),
        Index("ix_intel_objects_type", "collection_id", "type"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("intel_collections.id"))
    stix_id: Mapped[str] = mapped_column(String(128))
    type: Mapped[str] = mapped_column(String(64))
    spec_version: Mapped[str] = mapped_column(String(8), default="2.1")
    version: Mapped[str] = mapped_column(String(40))
    """The object's ``modified`` (else ``created``, else its date_added) as sent."""
    version_at: Mapped[datetime] = mapped_column(UTCDateTime)
    date_added: Mapped[datetime] = mapped_column(UTCDateTime)
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    is_first: Mapped[bool] = mapped_column(Boolean, default=True)
    tlp: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(8))
    audience_all: Mapped[bool] = mapped_column(Boolean, default=True)
    """For TLP:AMBER: every ward may see it (the joint centre's clients)."""
    audience: Mapped[str] = mapped_column(String(400), default="")
    """For TLP:AMBER without audience_all: ',131016,131024,' — the wards that need to know."""
    source: Mapped[str] = mapped_column(String(64), default="")
    body: Mapped[str] = mapped_column(Text)


class IntelStatus(Base):
    """A TAXII status resource (every POST gets one; processing is synchronous)."""

    __tablename__ = "intel_statuses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    request_timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    total_count: Mapped[int] = mapped_column(Integer)
    success_count: Mapped[int] = mapped_column(Integer)
    failure_count: Mapped[int] = mapped_column(Integer)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    successes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class IndicatorValue(Base):
    """One matchable value of one indicator (its latest version), with who may see it."""

    __tablename__ = "intel_indicator_values"
    __table_args__ = (
        UniqueConstraint("stix_id", "kind", "value", name="uq_intel_indicator_values"),
        Index("ix_intel_indicator_values_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stix_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(2048))
    tlp: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(8))
    audience_all: Mapped[bool] = mapped_column(Boolean, default=True)
    audience: Mapped[str] = mapped_column(String(400), default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    """From a ward's own collection (e.g. an original not yet approved): that ward's alone."""
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    warning: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Why the value never alerts (a warning list entry), or None."""
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(64), default="")


class Sighting(Base):
    """An indicator seen in a ward's events: becomes a SOC alert for that ward."""

    __tablename__ = "intel_sightings"
    __table_args__ = (
        UniqueConstraint("ward", "stix_id", "event_id", "field", name="uq_intel_sightings"),
        Index("ix_intel_sightings_ward_time", "ward", "found_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8))
    stix_id: Mapped[str] = mapped_column(String(128), index=True)
    indicator_name: Mapped[str] = mapped_column(String(300), default="")
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(2048))
    field: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(128))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    via: Mapped[str] = mapped_column(String(8))
    """live (as the event landed) | retro (hunt over past events)"""
    tlp: Mapped[str] = mapped_column(String(16))
    """The indicator's TLP: an AMBER+STRICT/RED hit is the ward's alone (not even the joint's)."""
    alert_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Hunt(Base):
    """A retro-hunt of indicators over past events."""

    __tablename__ = "intel_hunts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    """queued | running | done | failed"""
    reason: Mapped[str] = mapped_column(String(200), default="")
    indicators_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Indicators added at or after this instant are hunted (None: all live indicators)."""
    days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    indicators: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class IntelState(Base):
    """Small named values the hub keeps (e.g. how far the live matcher has read the lake)."""

    __tablename__ = "intel_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Submission(Base):
    """What a ward saw, its anonymised shareable version, and the approval workflow."""

    __tablename__ = "intel_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """phishing | access | vulnerability | bundle | incident"""
    title: Mapped[str] = mapped_column(String(300))
    tlp: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24), index=True)
    """awaiting_approval | published | withdrawn | kept_private"""
    channel: Mapped[str] = mapped_column(String(16))
    """form | api | taxii | incident"""
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    original: Mapped[dict[str, Any]] = mapped_column(JSONType)
    shared: Mapped[dict[str, Any]] = mapped_column(JSONType)
    redactions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    extra_terms: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    approved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    urgency: Mapped[str] = mapped_column(String(16), default="routine", server_default="routine")
    """Classified by the approver (``Urgency``)."""


class Advisory(Base):
    """A joint-centre alert with concrete countermeasures (STIX report + course-of-action)."""

    __tablename__ = "intel_advisories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    countermeasures: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    tlp: Mapped[str] = mapped_column(String(16))
    all_wards: Mapped[bool] = mapped_column(Boolean, default=True)
    indicator_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    report_id: Mapped[str] = mapped_column(String(128))
    course_of_action_id: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    urgency: Mapped[str] = mapped_column(String(16), default="routine", server_default="routine")
    """Classified by the joint centre when it publishes (``Urgency``)."""


class AdvisoryRecipient(Base):
    """One ward's copy of an advisory: when it acknowledged and when it applied the fix."""

    __tablename__ = "intel_advisory_recipients"
    __table_args__ = (UniqueConstraint("advisory_id", "ward", name="uq_intel_advisory_ward"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("intel_advisories.id"), index=True)
    ward: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Feed(Base):
    """A national or vendor feed: a TAXII 2.1 collection, a MISP feed, a CSV list or a
    bundle URL."""

    __tablename__ = "intel_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    """taxii | misp | csv | stix"""
    url: Mapped[str] = mapped_column(String(1000))
    collection: Mapped[str] = mapped_column(String(200), default="")
    """For TAXII: the remote collection's id."""
    username: Mapped[str] = mapped_column(String(200), default="")
    secret_env: Mapped[str] = mapped_column(String(100), default="")
    """Name of the environment variable holding the feed's password or token (never stored)."""
    default_tlp: Mapped[str] = mapped_column(String(16), default="green")
    interval_minutes: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str] = mapped_column(String(64), default="")
    """For TAXII: the X-TAXII-Date-Added-Last seen, passed as added_after next time."""
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str] = mapped_column(String(16), default="")
    last_message: Mapped[str] = mapped_column(Text, default="")
    objects_total: Mapped[int] = mapped_column(Integer, default=0)


class QuarantinedRecord(Base):
    """An imported record that was rejected, with where it came from and why."""

    __tablename__ = "intel_quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    tenant: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
