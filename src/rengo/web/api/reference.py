"""Reference data anyone may read: the wards and the register's vocabularies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from rengo.assets.reference import (
    BUSINESS_SYSTEMS,
    CLASSIFICATION_AXES,
    CLOUD_PROVIDERS,
    KINDS,
    LOCATIONS,
    SEGMENTS,
)
from rengo.assets.settings import AssetSettings
from rengo.core.tenancy import Tenant
from rengo.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["reference"])


class WardOut(BaseModel):
    code: str
    kind: str
    name_ja: str
    name_kana: str
    name_en: str
    population: int | None
    population_date: date | None
    population_source: str


class TermOut(BaseModel):
    key: str
    ja: str
    en: str


class Vocabularies(BaseModel):
    kinds: list[TermOut]
    locations: list[TermOut]
    cloud_providers: list[TermOut]
    segments: list[TermOut]
    business_systems: list[TermOut]
    classification_axes: list[TermOut]
    confidentiality_levels: list[int]
    integrity_levels: list[int]
    availability_levels: list[int]


@router.get("/wards", response_model=list[WardOut], summary="The 23 wards and the joint centre")
def list_wards(session: SessionDep) -> list[WardOut]:
    rows = session.scalars(select(Tenant).order_by(Tenant.kind, Tenant.code))
    return [WardOut.model_validate(t, from_attributes=True) for t in rows]


def _terms(index: Mapping[str, object]) -> list[TermOut]:
    return [TermOut.model_validate(t, from_attributes=True) for t in index.values()]


@router.get(
    "/reference/assets", response_model=Vocabularies, summary="Allowed values of asset fields"
)
def asset_vocabularies(runtime: RuntimeDep) -> Vocabularies:
    s = runtime.settings.section(AssetSettings)
    return Vocabularies(
        kinds=_terms(KINDS),
        locations=_terms(LOCATIONS),
        cloud_providers=_terms(CLOUD_PROVIDERS),
        segments=_terms(SEGMENTS),
        business_systems=_terms(BUSINESS_SYSTEMS),
        classification_axes=_terms(CLASSIFICATION_AXES),
        confidentiality_levels=s.confidentiality_levels,
        integrity_levels=s.integrity_levels,
        availability_levels=s.availability_levels,
    )
