"""The joint CSIRT's configuration over JSON: containment connectors and security costs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.csirt import costs, endpoints
from rengo.csirt.costs import CostKind
from rengo.csirt.models import Connector
from rengo.csirt.settings import CsirtSettings
from rengo.targets.registry import fiscal_year_start
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/csirt", tags=["csirt"])
FiscalYearQuery = Annotated[
    int | None, Query(ge=2000, le=2100, description="Japanese fiscal year; default the current one")
]


class ConnectorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: TenantCode = Field(description="The ward whose systems carry the actions out")
    name: str = Field(min_length=1, max_length=128)
    kind: str = Field(description="webhook | simulated")
    url: str = Field("", max_length=1024, description="The webhook's URL (no credentials in it)")
    secret_name: str = Field(
        "", max_length=64, description="Name of the HMAC key in settings (webhook); never the key"
    )
    capabilities: list[str] | None = Field(None, description="Action kinds; default all")


class ConnectorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=128)
    url: str | None = Field(None, max_length=1024)
    secret_name: str | None = Field(None, max_length=64)
    capabilities: list[str] | None = None
    enabled: bool | None = None


class ConnectorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: TenantCode
    name: str
    kind: str
    url: str
    secret_name: str = Field(description="The key's name; the key itself is never shown")
    secret_configured: bool | None = Field(
        None, description="Whether settings hold the named key (null: none needed)"
    )
    capabilities: list[str]
    enabled: bool


class CostIn(BaseModel):
    fiscal_year: int = Field(ge=2000, le=2100)
    tenant: TenantCode
    kind: CostKind
    amount_yen: int | None = Field(None, ge=0, le=10**15)
    share_pct: float | None = Field(None, ge=0, le=100)
    note: str = ""


class CostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fiscal_year: int
    tenant: TenantCode
    kind: str
    amount_yen: int | None
    share_pct: float | None
    note: str
    recorded_by: str
    recorded_at: datetime


class WardCostOut(BaseModel):
    ward: TenantCode
    population: int
    standalone_yen: int
    share_yen: float
    reduction_pct: float


class ComparisonOut(BaseModel):
    fiscal_year: int
    joint_operating_yen: int | None
    shared_by: str
    reduction_pct: float | None
    wards: list[WardCostOut]


def connector_out(connector: Connector, runtime: RuntimeDep) -> ConnectorOut:
    out = ConnectorOut.model_validate(connector)
    configured = endpoints.secret_configured(runtime.settings.section(CsirtSettings), connector)
    return out.model_copy(update={"secret_configured": configured})


@router.get("/connectors", response_model=list[ConnectorOut], summary="Containment connectors")
def list_connectors(
    principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> list[ConnectorOut]:
    return [connector_out(c, runtime) for c in endpoints.connectors(session, principal)]


@router.post("/connectors", response_model=ConnectorOut, status_code=201, summary="Add a connector")
def add_connector(
    body: ConnectorIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> ConnectorOut:
    return connector_out(
        endpoints.create_connector(session, principal, **body.model_dump()), runtime
    )


@router.get("/connectors/{connector_id}", response_model=ConnectorOut, summary="One connector")
def read_connector(
    connector_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> ConnectorOut:
    return connector_out(endpoints.get_connector(session, principal, connector_id), runtime)


@router.patch(
    "/connectors/{connector_id}",
    response_model=ConnectorOut,
    summary="Change a connector (URL, key name, what it may do, on/off)",
)
def change_connector(
    connector_id: IdPath,
    body: ConnectorPatch,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ConnectorOut:
    changes = body.model_dump(exclude_unset=True)
    return connector_out(
        endpoints.update_connector(session, principal, connector_id, changes), runtime
    )


@router.get("/costs", response_model=list[CostOut], summary="Recorded security cost entries")
def list_costs(
    principal: UserDep, session: SessionDep, fiscal_year: FiscalYearQuery = None
) -> list[CostOut]:
    return [CostOut.model_validate(c) for c in costs.entries(session, principal, fiscal_year)]


@router.post("/costs", response_model=CostOut, status_code=201, summary="Record a cost figure")
def add_cost(body: CostIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep) -> CostOut:
    entry = costs.record_cost(session, principal, now=runtime.clock.now(), **body.model_dump())
    return CostOut.model_validate(entry)


@router.get(
    "/costs/comparison",
    response_model=ComparisonOut,
    summary="Security cost per resident: joint operation vs each ward alone",
)
def comparison(
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    fiscal_year: FiscalYearQuery = None,
) -> ComparisonOut:
    costs.entries(session, principal, fiscal_year)  # the permission check
    now = runtime.clock.now()
    year = fiscal_year or fiscal_year_start(now).year
    result = costs.compare(session, year, now)
    wards = [
        WardCostOut(
            ward=w.ward,
            population=w.population,
            standalone_yen=w.standalone_yen,
            share_yen=round(w.share_yen),
            reduction_pct=round(w.reduction_pct, 1),
        )
        for w in result.wards.values()
        if principal.is_joint or w.ward == principal.tenant
    ]
    total = result.reduction_pct if principal.is_joint or principal.tenant == JOINT else None
    return ComparisonOut(
        fiscal_year=year,
        joint_operating_yen=result.joint_operating_yen,
        shared_by=result.shared_by,
        reduction_pct=round(total, 1) if total is not None else None,
        wards=wards,
    )
