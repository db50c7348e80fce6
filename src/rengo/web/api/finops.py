"""FinOps over JSON: costs (grouped, filtered, over time), rows, recommendations, anomalies,
allocation rules and shared pools."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from rengo.core import audit, csv_safe
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.wards import is_tenant
from rengo.finops import recommend, scan
from rengo.finops import service as finops_service
from rengo.finops.allocation import FIELDS, METHODS, Rule
from rengo.finops.explorer import CostQuery
from rengo.finops.models import Alert, Recommendation
from rengo.web.deps import Day, IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/finops", tags=["finops"])


class CostPoint(BaseModel):
    period: str = Field(description="YYYY-MM-DD (day), YYYY-MM (month) or empty (total)")
    groups: dict[str, str] = Field(description="Value of each group_by dimension")
    cost: float = Field(description="Cost in the reporting currency")


class CostResult(BaseModel):
    currency: str
    metric: str = Field(description="billed (invoice) or effective (amortised)")
    start: date
    end: date
    group_by: list[str]
    total: float
    points: list[CostPoint]
    unpriced_rows: int = Field(description="Rows without an exchange rate (not in the totals)")


class RecommendationOut(BaseModel):
    id: int
    kind: str
    ward: str
    business_system: str
    provider: str
    service: str
    resource_id: str
    title: str
    monthly_cost: float
    estimated_monthly_saving: float
    status: str
    done_on: date | None
    realised_monthly_saving: float | None
    detail: dict[str, Any]


class StatusIn(BaseModel):
    status: str = Field(description="open | accepted | done | rejected")
    done_on: Day | None = Field(None, description="Day the change was made (for done)")
    note: str = ""


class AlertOut(BaseModel):
    id: int
    kind: str = Field(description="spike | level_shift | budget")
    ward: str
    business_system: str
    service: str
    day: date
    actual: float
    expected: float
    message: str
    status: str


def parse_query(
    principal: Principal,
    start: date | None,
    end: date | None,
    group_by: str,
    granularity: str,
    metric: str,
    filters: dict[str, str | None],
) -> CostQuery:
    end = end or date.today()
    start = start or (end.replace(day=1) - timedelta(days=365)).replace(day=1)
    wards = narrow_to_visible(principal, "finops.costs.read", filters.get("ward") or None)
    parsed = {k: [x for x in v.split(",") if x] for k, v in filters.items() if v}
    if wards is not None:
        parsed.pop("ward", None)
    q = CostQuery(
        start, end, [g for g in group_by.split(",") if g], granularity, metric, parsed, wards
    )
    q.check()
    return q


def _filters(
    ward: str | None,
    business_system: str | None,
    provider: str | None,
    service_name: str | None,
    region: str | None,
    charge_category: str | None,
    tag: str | None,
) -> dict[str, str | None]:
    out = {
        "ward": ward,
        "business_system": business_system,
        "provider": provider,
        "service": service_name,
        "region": region,
        "charge_category": charge_category,
    }
    if tag:
        key, sep, value = tag.partition("=")
        if not sep:
            raise InvalidInput("invalid tag filter", [Problem("write tag=key=value", "tag")])
        out[f"tag:{key}"] = value
    return out


Start = Annotated[Day | None, Query(description="First charge day (default: a year ago)")]
End = Annotated[Day | None, Query(description="Last charge day (default: today)")]
GroupBy = Annotated[
    str,
    Query(
        description="Comma-separated: ward, business_system, provider, service, service_category, region, charge_category, sub_account, resource, billing_month, shared_pool, tag:<key>"
    ),
]
Gran = Annotated[str, Query(description="day | month | total")]
Metric = Annotated[str, Query(description="effective (amortised) | billed")]


@router.get("/costs", response_model=CostResult, summary="Cost over time, grouped and filtered")
def costs(
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    start: Start = None,
    end: End = None,
    group_by: GroupBy = "",
    granularity: Gran = "month",
    metric: Metric = "effective",
    ward: str | None = None,
    business_system: str | None = None,
    provider: str | None = None,
    service: Annotated[str | None, Query(description="Service name")] = None,
    region: str | None = None,
    charge_category: str | None = None,
    tag: Annotated[str | None, Query(description="key=value")] = None,
) -> CostResult:
    q = parse_query(
        principal,
        start,
        end,
        group_by,
        granularity,
        metric,
        _filters(ward, business_system, provider, service, region, charge_category, tag),
    )
    ex = finops_service.explorer(session, runtime.data_dir)
    rows = ex.costs(q)
    unpriced, _ = ex.unpriced(q)
    return CostResult(
        currency=runtime.settings.finops.currency,
        metric=q.metric,
        start=q.start,
        end=q.end,
        group_by=q.group_by,
        total=round(sum(r.cost for r in rows), 2),
        points=[
            CostPoint(
                period=r.period,
                groups=dict(zip(q.group_by, r.groups, strict=True)),
                cost=round(r.cost, 2),
            )
            for r in rows
        ],
        unpriced_rows=unpriced,
    )


@router.get("/costs.csv", summary="The same as /costs, as CSV", response_class=StreamingResponse)
def costs_csv(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    start: Start = None,
    end: End = None,
    group_by: GroupBy = "",
    granularity: Gran = "month",
    metric: Metric = "effective",
    ward: str | None = None,
    business_system: str | None = None,
    provider: str | None = None,
    service: str | None = None,
    region: str | None = None,
    charge_category: str | None = None,
    tag: str | None = None,
) -> StreamingResponse:
    q = parse_query(
        principal,
        start,
        end,
        group_by,
        granularity,
        metric,
        _filters(ward, business_system, provider, service, region, charge_category, tag),
    )
    rows = finops_service.explorer(session, runtime.data_dir).costs(q)
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer)
    writer.writerow(["period", *q.group_by, f"cost_{runtime.settings.finops.currency}"])
    for r in rows:
        writer.writerow([r.period, *r.groups, f"{r.cost:.2f}"])
    audit.record(
        session,
        principal,
        "finops.costs.export",
        object_type="finops_costs",
        detail={"rows": len(rows), "group_by": q.group_by},
        client=client_address(request),
    )
    return StreamingResponse(
        iter(["\ufeff" + buffer.getvalue()]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="costs.csv"'},
    )


@router.get("/rows", summary="The billing rows behind a figure (drill-down; audited)")
def rows(
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
    start: Start = None,
    end: End = None,
    ward: str | None = None,
    business_system: str | None = None,
    provider: str | None = None,
    service: str | None = None,
    region: str | None = None,
    charge_category: str | None = None,
    tag: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    require(principal, "finops.rows.read")
    q = parse_query(
        principal,
        start,
        end,
        "",
        "total",
        "effective",
        _filters(ward, business_system, provider, service, region, charge_category, tag),
    )
    total, items = finops_service.explorer(session, runtime.data_dir).rows(
        q, limit=limit, offset=offset
    )
    audit.record(
        session,
        principal,
        "finops.rows.read",
        object_type="finops_rows",
        object_tenant=ward if ward and is_tenant(ward) else None,
        detail={"returned": len(items), "matching": total},
        client=client_address(request),
    )
    return {"total": total, "items": items}


@router.get(
    "/recommendations", response_model=list[RecommendationOut], summary="Savings recommendations"
)
def recommendations(
    principal: UserDep,
    session: SessionDep,
    status: Annotated[str | None, Query(description="open | accepted | done | rejected")] = None,
    kind: Annotated[str | None, Query(description=" | ".join(recommend.KINDS))] = None,
    ward: str | None = None,
) -> list[RecommendationOut]:
    wards = narrow_to_visible(principal, "finops.costs.read", ward)
    stmt = select(Recommendation).order_by(Recommendation.estimated_monthly_saving.desc())
    if wards is not None:
        stmt = stmt.where(Recommendation.ward.in_(wards))
    if status:
        stmt = stmt.where(Recommendation.status == status)
    if kind:
        stmt = stmt.where(Recommendation.kind == kind)
    return [
        RecommendationOut.model_validate(r, from_attributes=True)
        for r in session.scalars(stmt.limit(1000))
    ]


@router.post(
    "/recommendations/{rec_id}/status",
    response_model=RecommendationOut,
    summary="Move a recommendation on",
)
def set_status(
    request: Request, rec_id: IdPath, body: StatusIn, principal: UserDep, session: SessionDep
) -> RecommendationOut:
    rec = recommend.change_status(
        session,
        principal,
        rec_id,
        body.status,
        done_on=body.done_on,
        note=body.note,
        client=client_address(request),
    )
    return RecommendationOut.model_validate(rec, from_attributes=True)


@router.get("/anomalies", response_model=list[AlertOut], summary="Cost anomalies and budget alerts")
def anomalies(
    principal: UserDep,
    session: SessionDep,
    status: Annotated[str | None, Query(description="open | acknowledged | resolved")] = None,
    kind: Annotated[str | None, Query(description="spike | level_shift | budget")] = None,
    ward: str | None = None,
) -> list[AlertOut]:
    wards = narrow_to_visible(principal, "finops.costs.read", ward)
    stmt = select(Alert).order_by(Alert.day.desc(), Alert.id.desc())
    if wards is not None:
        stmt = stmt.where(Alert.ward.in_(wards))
    if status:
        stmt = stmt.where(Alert.status == status)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    return [
        AlertOut.model_validate(a, from_attributes=True) for a in session.scalars(stmt.limit(1000))
    ]


@router.post(
    "/anomalies/{alert_id}/status",
    response_model=AlertOut,
    summary="Acknowledge or resolve an alert",
)
def alert_status(
    request: Request, alert_id: IdPath, body: StatusIn, principal: UserDep, session: SessionDep
) -> AlertOut:
    alert = scan.change_alert(session, principal, alert_id, body.status, client_address(request))
    return AlertOut.model_validate(alert, from_attributes=True)


# -- allocation rules and shared pools (joint centre) ------------------------------------


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    priority: int = Field(100, ge=0, le=1_000_000, description="Lower runs first")
    field: str = Field(description=" | ".join(FIELDS))
    tag_key: str | None = Field(None, max_length=128, description="For field=tag: the tag's key")
    pattern: str = Field(min_length=1, max_length=256, description="Glob pattern (* ? [..])")
    ward: str | None = Field(None, description="Ward code the matched rows belong to")
    ward_from_value: bool = Field(False, description="Take the ward from the matched value")
    business_system: str | None = Field(None, description="One of the 20 standard systems")
    system_from_value: bool = Field(False, description="Take the system from the matched value")
    shared_pool: str | None = Field(None, max_length=64, description="Send rows to this pool")
    description: str = Field("", max_length=2000)


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="ignore")

    id: int
    active: bool


class PoolIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    method: str = Field(description=" | ".join(METHODS))
    wards: list[str] = Field(default_factory=list, description="Member wards; empty = all 23")
    description: str = Field("", max_length=2000)


class PoolOut(PoolIn):
    model_config = ConfigDict(extra="ignore")

    id: int


@router.get("/rules", response_model=list[RuleOut], summary="Allocation rules (joint centre)")
def list_rules(principal: UserDep, session: SessionDep) -> list[RuleOut]:
    return [
        RuleOut.model_validate(r, from_attributes=True)
        for r in finops_service.rules(session, principal)
    ]


@router.post(
    "/rules",
    response_model=RuleOut,
    status_code=201,
    summary="Add an allocation rule (then rebuild the lake)",
)
def create_rule(principal: UserDep, session: SessionDep, body: RuleIn) -> RuleOut:
    rule = Rule(
        id=0,
        **body.model_dump(exclude={"description"}),
    )
    row = finops_service.add_rule(session, principal, rule, body.description)
    return RuleOut.model_validate(row, from_attributes=True)


@router.delete("/rules/{rule_id}", status_code=204, summary="Delete an allocation rule")
def delete_rule(
    request: Request, rule_id: IdPath, principal: UserDep, session: SessionDep
) -> Response:
    finops_service.delete_rule(session, principal, rule_id, client_address(request))
    return Response(status_code=204)


@router.get("/pools", response_model=list[PoolOut], summary="Shared cost pools (joint centre)")
def list_pools(principal: UserDep, session: SessionDep) -> list[PoolOut]:
    return [
        PoolOut.model_validate(p, from_attributes=True)
        for p in finops_service.pools(session, principal)
    ]


@router.post("/pools", response_model=PoolOut, status_code=201, summary="Add a shared cost pool")
def create_pool(principal: UserDep, session: SessionDep, body: PoolIn) -> PoolOut:
    row = finops_service.add_pool(
        session, principal, body.name, body.method, body.wards, body.description
    )
    return PoolOut.model_validate(row, from_attributes=True)


@router.delete("/pools/{pool_id}", status_code=204, summary="Delete a shared cost pool")
def delete_pool(
    request: Request, pool_id: IdPath, principal: UserDep, session: SessionDep
) -> Response:
    finops_service.delete_pool(session, principal, pool_id, client_address(request))
    return Response(status_code=204)


@router.post("/rebuild", summary="Re-apply allocation rules and exchange rates to the lake")
def rebuild(principal: UserDep, session: SessionDep, runtime: RuntimeDep) -> dict[str, int]:
    files = finops_service.rebuild_lake(session, principal, runtime.data_dir, runtime.settings)
    return {"files": files}
