"""Tables of the portal: datasets (with history) and their resources.

Organisations are the wards (``rengo.core.wards``); categories (CKAN groups) are the fixed
list in ``catalogue.CATEGORIES``; tags live on the dataset. Records of tabular resources are
Parquet files in the lake (``records.py``), not rows here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow


class Dataset(Base):
    __tablename__ = "opendata_datasets"
    __table_args__ = (
        Index("ix_opendata_datasets_state_modified", "state", "modified_at"),
        Index("ix_opendata_datasets_tenant_state", "tenant", "state"),
    )

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
