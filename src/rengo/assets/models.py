"""Tables of the register: assets and the history of every change to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Computed, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rengo.core.db import Base, JSONType, UTCDateTime, utcnow


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        Index("ix_assets_tenant_kind", "tenant", "kind"),
        Index("ix_assets_tenant_name", "tenant", "name"),
        Index("ix_assets_name_id", "name", "id"),
        Index("ix_assets_classified", "classified", "tenant", "created_at", "retired_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[str] = mapped_column(String(128), default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    custodian: Mapped[str] = mapped_column(String(128), default="")
    location: Mapped[str] = mapped_column(String(32))
    cloud_provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    segment: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    confidentiality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    integrity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    availability: Mapped[int | None] = mapped_column(Integer, nullable=True)
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_data_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    business_system: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    ip_ranges: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hostnames: Mapped[list[str]] = mapped_column(JSONType, default=list)
    mail_domains: Mapped[list[str]] = mapped_column(JSONType, default=list)
    cost_tags: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    introduced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    renewal_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    retired_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    classified: Mapped[bool] = mapped_column(
        Boolean,
        Computed(
            "confidentiality IS NOT NULL AND integrity IS NOT NULL AND availability IS NOT NULL",
            persisted=True,
        ),
    )
    """Derived by the database: all three classification levels are set."""
    origin: Mapped[str] = mapped_column(String(16), default="manual")
    """manual | import | api | demo — demo data stays recognisable."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased name, department, owner, custodian, host names: one LIKE searches all."""
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_classified(self) -> bool:
        # Computed from the fields, not from the column: valid before a flush too.
        return None not in (self.confidentiality, self.integrity, self.availability)


class AssetChange(Base):
    """One change to one asset: who, when, which fields from what to what."""

    __tablename__ = "asset_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    tenant: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))  # create | update | import
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
