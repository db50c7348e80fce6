"""Tables of the portal: datasets (with history) and their resources.

Organisations are the wards (``rengo.core.wards``); categories (CKAN groups) are the fixed
list in ``catalogue.CATEGORIES``; tags live on the dataset. Records of tabular resources are
Parquet files in the lake (``records.py``), not rows here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow


class Dataset(Base):
    __tablename__ = "opendata_datasets"
    # No index leads with ``state``: nearly every row is active, and such an index made SQLite
    # walk the whole table instead of the search index's few matches.
    __table_args__ = (
        Index("ix_opendata_datasets_tenant_state", "tenant", "state"),
        # A harvest looks up each page's remote ids among the source's datasets.
        Index("ix_opendata_datasets_harvest", "harvest_source", "harvest_guid"),
    )
    # On SQLite the migrations add ``ix_opendata_datasets_search_cover`` (state, pk and every
    # column a search reads per match; ``search.py``).

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Stable integer key: the full-text indexes refer to it."""
    id: Mapped[str] = mapped_column(String(36), unique=True)
    """A UUID, as CKAN clients expect."""
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """URL name (CKAN ``name``): lower-case ASCII, digits, ``-`` and ``_``."""
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    title: Mapped[str] = mapped_column(String(300))
    title_kana: Mapped[str] = mapped_column(String(300), default="")
    """Reading of the title in kana: lets ホイク find 保育所."""
    notes: Mapped[str] = mapped_column(Text, default="")
    license_id: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), default="")
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    frequency: Mapped[str] = mapped_column(String(16), default="irregular")
    spatial: Mapped[str] = mapped_column(String(200), default="")
    temporal_start: Mapped[str] = mapped_column(String(10), default="")
    temporal_end: Mapped[str] = mapped_column(String(10), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    standard_type: Mapped[str] = mapped_column(String(32), default="")
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="active")
    """active | withdrawn (withdrawn datasets leave search but keep their history)."""
    origin: Mapped[str] = mapped_column(String(16), default="upload")
    """upload | api | harvest | demo."""
    harvest_source: Mapped[str] = mapped_column(String(300), default="")
    harvest_guid: Mapped[str] = mapped_column(String(100), default="")
    harvest_modified: Mapped[str] = mapped_column(String(40), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Normalised (NFKC, kana folded, lower-case) title, reading, notes, tags, ward."""
    search_title: Mapped[str] = mapped_column(Text, default="")
    search_bigrams: Mapped[str] = mapped_column(Text, default="")
    """Space-separated bigrams of ``search_text``: the index two-character queries use."""
    res_formats: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    """The resources' formats as a sorted JSON list (``search.formats_key``): the
    ``res_format`` facet counts these few combinations instead of joining the resources."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resource(Base):
    __tablename__ = "opendata_resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000), default="")
    """An external link; empty for files rengo stores (served from the portal)."""
    source_filename: Mapped[str] = mapped_column(String(300), default="")
    source_encoding: Mapped[str] = mapped_column(String(16), default="")
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    columns: Mapped[list[str]] = mapped_column(JSONType, default=list)
    has_coordinates: Mapped[int] = mapped_column(Integer, default=0)
    schema_errors: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Problems found against the standard type when published (``None``: not checked)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DatasetChange(Base):
    """One version of a dataset: who changed which fields, from what to what."""

    __tablename__ = "opendata_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("opendata_datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Reuse(Base):
    """A use of the portal's data (udata's model): an app, an API, a visualisation, an idea or
    an article; submitted by anyone, moderated by the joint centre."""

    __tablename__ = "opendata_reuses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1000), default="")
    author: Mapped[str] = mapped_column(String(200))
    datasets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """Names of the datasets used."""
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    """pending | published | rejected."""
    new_service: Mapped[bool] = mapped_column(Boolean, default=False)
    """A new private service or app (counted by the KPI), not an article or an idea."""
    launched_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    evidence: Mapped[str] = mapped_column(String(16), default="submission")
    """submission | contest | press | interview: how the joint centre knows of it."""
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    moderated_by: Mapped[str] = mapped_column(String(128), default="")


class Contest(Base):
    """One yearly contest edition: its call, its judging criteria and its state."""

    __tablename__ = "opendata_contests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    call: Mapped[str] = mapped_column(Text, default="")
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    criteria: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    """Criterion → weight (e.g. {"impact": 2, "feasibility": 1, "data_use": 1})."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    judging_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """Until set, each judge sees only their own scores; then the ranking is shown."""


class Entry(Base):
    __tablename__ = "opendata_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("opendata_contests.id"), index=True)
    team: Mapped[str] = mapped_column(String(200))
    idea: Mapped[str] = mapped_column(Text)
    datasets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    demo_url: Mapped[str] = mapped_column(String(1000), default="")
    award: Mapped[str] = mapped_column(String(100), default="")
    """Empty, or the prize (a winner)."""
    support: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """Follow-up support toward a real service: [{"on", "note"}]."""
    reuse_id: Mapped[int | None] = mapped_column(ForeignKey("opendata_reuses.id"), nullable=True)
    """The reuse recorded when the entry went live as a service."""
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Score(Base):
    __tablename__ = "opendata_scores"
    __table_args__ = (UniqueConstraint("entry_id", "judge", "criterion"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("opendata_entries.id"), index=True)
    judge: Mapped[str] = mapped_column(String(128))
    criterion: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    """1 (weak) – 5 (excellent)."""
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RateCount(Base):
    """Requests of one client in one fixed window of one limit."""

    __tablename__ = "opendata_rate_counts"
    __table_args__ = (Index("ix_opendata_rate_counts_window", "limiter", "window"),)

    limiter: Mapped[str] = mapped_column(String(32), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)
    """Seconds since the epoch divided by the window's length, rounded down."""
    count: Mapped[int] = mapped_column(Integer)
