"""Tables of the data-linkage zone. Records themselves never sit in the database: each
deposit, linkage result and release is a file sealed with the zone key
(``<data_dir>/files/ebpm_zone/``); these rows say whose it is, under which legal basis and
purpose, who approved it and what was done to it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow


class ZoneDeposit(Base):
    """An extract deposited by a department, usable once the privacy officer approves."""

    __tablename__ = "ebpm_zone_deposits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    department: Mapped[str] = mapped_column(String(120))
    domain: Mapped[str] = mapped_column(String(16))
    """disaster | welfare | child"""
    title: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    retention_until: Mapped[date] = mapped_column(Date)
    columns: Mapped[dict[str, Any]] = mapped_column(JSONType)
    """Column name → {"kind": direct|code|link|quasi|sensitive|other, "hierarchy": …}."""
    key_column: Mapped[str] = mapped_column(String(120))
    row_count: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | approved | rejected | deleted"""
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")


class ZonePurpose(Base):
    """What an analysis is for, which deposits and columns it needs; approved per use."""

    __tablename__ = "ebpm_zone_purposes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    deposit_ids: Mapped[list[int]] = mapped_column(JSONType)
    columns: Mapped[dict[str, list[str]]] = mapped_column(JSONType)
    """Deposit id (as text) → the columns the analysis may see."""
    approvals: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    """Ward → the privacy officer of that ward who approved (every owning ward must)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ZoneLinkage(Base):
    """One Splink run between two approved deposits, under an approved purpose."""

    __tablename__ = "ebpm_zone_linkages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_purposes.id"))
    left_deposit_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_deposits.id"))
    right_deposit_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_deposits.id"))
    threshold: Mapped[float] = mapped_column(Float)
    review_floor: Mapped[float] = mapped_column(Float)
    links: Mapped[int] = mapped_column(Integer)
    review: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    model: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ZoneReview(Base):
    """A pair in the uncertain band, and the clerical decision on it."""

    __tablename__ = "ebpm_zone_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    linkage_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_linkages.id"), index=True)
    left_record: Mapped[int] = mapped_column(Integer)
    right_record: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | match | non_match"""
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ZoneRelease(Base):
    """De-identified data leaving the zone: the five standards' report, approved or not."""

    __tablename__ = "ebpm_zone_releases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward: Mapped[str] = mapped_column(String(8), index=True)
    purpose_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_purposes.id"))
    linkage_id: Mapped[int] = mapped_column(ForeignKey("ebpm_zone_linkages.id"))
    title: Mapped[str] = mapped_column(String(200))
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    report: Mapped[dict[str, Any]] = mapped_column(JSONType)
    rows: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending | approved | rejected"""
    requested_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
