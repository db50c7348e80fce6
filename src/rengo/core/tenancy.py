"""Tenants in the state store: the 23 wards and the joint centre.

The reference CSV is the source of truth for codes and names; populations may be
updated by an administrator with a newer figure (its date and source are kept).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rengo.core.db import Base
from rengo.core.wards import JOINT, JOINT_NAME_EN, JOINT_NAME_JA, wards


class Tenant(Base):
    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # "ward" | "joint"
    name_ja: Mapped[str] = mapped_column(String(64))
    name_kana: Mapped[str] = mapped_column(String(64), default="")
    name_en: Mapped[str] = mapped_column(String(64))
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    population_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    population_source: Mapped[str] = mapped_column(String(200), default="")


def sync_tenants(session: Session) -> int:
    """Insert missing tenants and refresh names; keep a newer population an admin entered."""
    existing = {t.code: t for t in session.scalars(select(Tenant))}
    added = 0
    if JOINT not in existing:
        session.add(Tenant(code=JOINT, kind="joint", name_ja=JOINT_NAME_JA, name_en=JOINT_NAME_EN))
        added += 1
    for ward in wards():
        row = existing.get(ward.code)
        if row is None:
            row = Tenant(code=ward.code, kind="ward")
            session.add(row)
            added += 1
        row.name_ja, row.name_kana = ward.name_ja, ward.name_kana
        row.name_en = f"{ward.name_romaji} City"
        if row.population_date is None or row.population_date <= ward.population_date:
            row.population = ward.population
            row.population_date = ward.population_date
            row.population_source = ward.population_source
    session.flush()
    return added


def populations(session: Session) -> dict[str, int]:
    """Current population per ward code (wards with a known figure only)."""
    rows = session.execute(
        select(Tenant.code, Tenant.population).where(Tenant.kind == "ward")
    ).all()
    return {code: pop for code, pop in rows if pop is not None}
