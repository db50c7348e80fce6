"""Savings recommendations from the usage in the cost data, their life cycle, realised savings.

Looked at over the last 30 days, per resource (the Cloud Custodian / FinOps Framework
"usage optimisation" checks that billing data can support):

- idle: a resource that keeps costing while its usage-based charges show no use
  (a volume without I/O), or a server averaging ≤ 2 % CPU — saving: its whole cost;
- rightsizing: a server whose average CPU (``x_CpuUtilization``) stays under the
  setting — saving: half its cost (one size down);
- schedule: a non-production server (tag ``env`` dev/test/stg) running around the
  clock — saving: the hours outside the business week;
- storage tiering: storage with a trickle of requests — saving: the tier discount;
- commitment coverage and utilisation: steady production compute not covered by a
  commitment discount (saving: the discount on the steady part), unused commitment.

Status: open → accepted → done (with the date of the change) or rejected. A done
recommendation's *realised* saving is measured from the cost data before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, require
from rengo.core.types import TenantCode
from rengo.finops.explorer import Explorer
from rengo.finops.models import Recommendation, RecommendationEvent
from rengo.finops.settings import FinopsSettings

RecommendationKind = Literal["idle", "rightsizing", "schedule", "storage_tiering", "commitment"]
RecommendationStatus = Literal["open", "accepted", "done", "rejected"]
KINDS: tuple[str, ...] = get_args(RecommendationKind)
STATUSES: tuple[str, ...] = get_args(RecommendationStatus)
TRANSITIONS = {
    "open": {"accepted", "rejected", "done"},
    "accepted": {"done", "rejected", "open"},
    "rejected": {"open"},
    "done": set(),
}
NONPROD = ("dev", "test", "stg", "staging")


@dataclass(slots=True)
class Candidate:
    kind: str
    ward: TenantCode
    business_system: str
    provider: str
    service: str
    resource_id: str
    title: str
    monthly_cost: float
    saving: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        scope = self.resource_id or f"{self.ward}:{self.provider}"
        return f"{self.kind}:{scope}"[:300]


def _per_resource(explorer: Explorer, start: date, end: date) -> list[dict[str, Any]]:
    rel = explorer.lake.relation_sql(
        ((start - timedelta(days=31)).strftime("%Y-%m"), end.strftime("%Y-%m"))
    )
    sql = f"""
    SELECT x_Ward AS ward, coalesce(x_BusinessSystem, '') AS system, ProviderName AS provider,
      any_value(ServiceName) AS service, any_value(ServiceCategory) AS category, ResourceId AS
      resource,
      sum(x_EffectiveCostReporting) AS cost,
      count(DISTINCT x_ChargeDate) AS days,
      avg(x_CpuUtilization) AS cpu,
      max(json_extract_string(Tags, '$.env')) AS env,
      sum(CASE WHEN ChargeFrequency = 'Usage-Based' AND ConsumedUnit NOT IN ('Hours', 'Hour') THEN
      ConsumedQuantity END) AS usage,
      count(CASE WHEN ChargeFrequency = 'Usage-Based' AND ConsumedUnit NOT IN ('Hours', 'Hour')
      THEN 1 END) AS usage_rows,
      sum(CASE WHEN ConsumedUnit IN ('Hours', 'Hour') THEN ConsumedQuantity END) AS hours,
      sum(CASE WHEN ServiceCategory = 'Storage' AND ChargeFrequency <> 'Usage-Based' THEN
      x_EffectiveCostReporting END) AS storage_cost
    FROM {rel}
    WHERE x_ChargeDate BETWEEN DATE '{start}' AND DATE '{end}' AND x_Ward IS NOT NULL AND
    ResourceId IS NOT NULL
    GROUP BY ALL
    """  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    result = explorer.cursor().execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _commitments(explorer: Explorer, start: date, end: date) -> list[dict[str, Any]]:
    rel = explorer.lake.relation_sql(
        ((start - timedelta(days=31)).strftime("%Y-%m"), end.strftime("%Y-%m"))
    )
    sql = f"""
    WITH daily AS (
      SELECT x_Ward AS ward, ProviderName AS provider, x_ChargeDate AS day,
        sum(CASE WHEN ServiceCategory = 'Compute' AND coalesce(json_extract_string(Tags, '$.env'),
        'prod') = 'prod'
                 THEN x_EffectiveCostReporting END) AS compute,
        sum(CASE WHEN ServiceCategory = 'Compute' AND CommitmentDiscountId IS NOT NULL THEN
        x_EffectiveCostReporting END) AS covered,
        sum(CASE WHEN CommitmentDiscountStatus = 'Unused' THEN x_EffectiveCostReporting END) AS
        unused,
        sum(CASE WHEN CommitmentDiscountId IS NOT NULL THEN x_EffectiveCostReporting END) AS
        commitment
      FROM {rel}
      WHERE x_ChargeDate BETWEEN DATE '{start}' AND DATE '{end}' AND x_Ward IS NOT NULL
      GROUP BY ALL)
    SELECT ward, provider, sum(compute) AS compute, min(coalesce(compute, 0)) AS steady_daily,
           sum(covered) AS covered, sum(unused) AS unused, sum(commitment) AS commitment, count(*)
           AS days
    FROM daily GROUP BY ALL
    """  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    result = explorer.cursor().execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def find(explorer: Explorer, as_of: date, s: FinopsSettings) -> list[Candidate]:
    """Every recommendation the last 30 days of data support (the ones worth raising)."""
    if explorer.lake.is_empty():
        return []
    start = as_of - timedelta(days=29)
    out: list[Candidate] = []
    for r in _per_resource(explorer, start, as_of):
        cost = float(r["cost"] or 0)
        if r["days"] < 14 or cost <= 0:
            continue
        monthly = cost * 30 / r["days"]
        base = dict(
            ward=r["ward"],
            business_system=r["system"],
            provider=r["provider"],
            service=r["service"] or "",
            resource_id=r["resource"],
            monthly_cost=monthly,
        )
        cpu = r["cpu"]
        env = (r["env"] or "").lower()
        if r["usage_rows"] and float(r["usage"] or 0) <= s.idle_usage_max:
            out.append(
                Candidate(
                    "idle",
                    title=f"Idle resource {r['resource']}: no usage in 30 days",
                    saving=monthly,
                    detail={"usage": 0.0, "days": r["days"]},
                    **base,
                )
            )
        elif r["category"] == "Compute" and cpu is not None and cpu <= 2.0:
            out.append(
                Candidate(
                    "idle",
                    title=f"Idle server {r['resource']}: {cpu:.1f} % CPU",
                    saving=monthly,
                    detail={"cpu_avg": cpu},
                    **base,
                )
            )
        elif (
            r["category"] == "Compute"
            and env in NONPROD
            and float(r["hours"] or 0) / r["days"] >= 20
        ):
            saving = monthly * (1 - s.business_hours_per_week / 168)
            out.append(
                Candidate(
                    "schedule",
                    title=f"Stop non-production {r['resource']} out of hours",
                    saving=saving,
                    detail={"env": env, "hours_per_day": float(r["hours"]) / r["days"]},
                    **base,
                )
            )
        elif r["category"] == "Compute" and cpu is not None and cpu < s.rightsizing_cpu_max_pct:
            out.append(
                Candidate(
                    "rightsizing",
                    title=f"Downsize {r['resource']}: {cpu:.1f} % CPU on average",
                    saving=monthly * 0.5,
                    detail={"cpu_avg": cpu},
                    **base,
                )
            )
        elif r["category"] == "Storage" and r["usage_rows"] and float(r["usage"] or 0) < 100 * 30:
            storage = float(r["storage_cost"] or 0) * 30 / r["days"]
            out.append(
                Candidate(
                    "storage_tiering",
                    title=f"Move cold storage {r['resource']} to an infrequent-access tier",
                    saving=storage * s.storage_tiering_saving,
                    detail={"requests_30d": float(r["usage"] or 0)},
                    **base,
                )
            )
    for c in _commitments(explorer, start, as_of):
        compute = float(c["compute"] or 0)
        if compute <= 0 or c["days"] < 14:
            continue
        coverage = float(c["covered"] or 0) / compute
        steady = float(c["steady_daily"] or 0) * 30
        if coverage < s.commitment_target_coverage and steady > 0:
            uncovered = steady * (s.commitment_target_coverage - coverage)
            out.append(
                Candidate(
                    "commitment",
                    c["ward"],
                    "",
                    c["provider"],
                    "Compute",
                    "",
                    f"Cover steady compute on {c['provider']} with a commitment discount",
                    compute * 30 / c["days"],
                    uncovered * s.commitment_discount_rate,
                    {"coverage": round(coverage, 3), "steady_monthly": steady},
                )
            )
        unused = float(c["unused"] or 0)
        if unused > 0:
            used = float(c["commitment"] or 0)
            out.append(
                Candidate(
                    "commitment",
                    c["ward"],
                    "",
                    c["provider"],
                    "Compute",
                    f"unused:{c['ward']}:{c['provider']}",
                    f"Commitment on {c['provider']} partly unused: reduce or exchange it",
                    used * 30 / c["days"],
                    unused * 30 / c["days"],
                    {"utilisation": round(1 - unused / used, 3) if used else 0.0},
                )
            )
    return [c for c in out if c.saving >= s.recommendation_min_monthly_saving]


def store(session: Session, candidates: list[Candidate]) -> tuple[int, int]:
    """Insert new recommendations, refresh the figures of open ones; never reopen decisions."""
    existing = {r.key: r for r in session.scalars(select(Recommendation))}
    created = updated = 0
    for c in candidates:
        row = existing.get(c.key)
        if row is None:
            session.add(
                Recommendation(
                    key=c.key,
                    kind=c.kind,
                    ward=c.ward,
                    business_system=c.business_system,
                    provider=c.provider,
                    service=c.service,
                    resource_id=c.resource_id,
                    title=c.title,
                    detail=c.detail,
                    monthly_cost=round(c.monthly_cost, 2),
                    estimated_monthly_saving=round(c.saving, 2),
                )
            )
            created += 1
        elif row.status in ("open", "accepted"):
            row.monthly_cost, row.estimated_monthly_saving = (
                round(c.monthly_cost, 2),
                round(c.saving, 2),
            )
            row.detail, row.updated_at = c.detail, utcnow()
            updated += 1
    session.flush()
    return created, updated


def change_status(
    session: Session,
    principal: Principal,
    rec_id: int,
    status: str,
    *,
    done_on: date | None = None,
    note: str = "",
    client: str = "",
) -> Recommendation:
    rec = session.get(Recommendation, rec_id)
    if rec is None:
        raise NotFound(f"recommendation {rec_id} not found")
    require(principal, "finops.costs.read", rec.ward, hide=True)
    require(principal, "finops.recommendations.update", rec.ward)
    if status not in STATUSES:
        raise InvalidInput("unknown status", [Problem(f"one of {', '.join(STATUSES)}", "status")])
    if status not in TRANSITIONS[rec.status]:
        raise InvalidInput(
            f"a recommendation that is {rec.status} cannot become {status}",
            [Problem(f"allowed: {', '.join(sorted(TRANSITIONS[rec.status])) or 'none'}", "status")],
        )
    if status == "done":
        rec.done_on = done_on or utcnow().date()
    session.add(
        RecommendationEvent(
            recommendation_id=rec.id,
            actor=principal.label,
            from_status=rec.status,
            to_status=status,
            note=note,
        )
    )
    audit.record(
        session,
        principal,
        "finops.recommendation.status",
        object_type="finops_recommendation",
        object_id=rec.id,
        object_tenant=rec.ward,
        detail={"from": rec.status, "to": status},
        client=client,
    )
    rec.status, rec.updated_at = status, utcnow()
    session.flush()
    return rec


def measure_realised(
    session: Session, explorer: Explorer, as_of: date, min_days_after: int = 7
) -> int:
    """Realised monthly saving of done recommendations: 30-day average cost before vs after."""
    measured = 0
    for rec in session.scalars(select(Recommendation).where(Recommendation.status == "done")):
        if rec.done_on is None or (as_of - rec.done_on).days < min_days_after:
            continue
        before = _daily_average(
            explorer, rec, rec.done_on - timedelta(days=30), rec.done_on - timedelta(days=1)
        )
        after_end = min(as_of, rec.done_on + timedelta(days=30))
        after = _daily_average(explorer, rec, rec.done_on, after_end)
        rec.realised_monthly_saving = round(max(0.0, before - after) * 30, 2)
        measured += 1
    session.flush()
    return measured


def _daily_average(explorer: Explorer, rec: Recommendation, start: date, end: date) -> float:
    days = (end - start).days + 1
    if days <= 0:
        return 0.0
    rel = explorer.lake.relation_sql(
        ((start - timedelta(days=31)).strftime("%Y-%m"), end.strftime("%Y-%m"))
    )
    if rec.resource_id and not rec.resource_id.startswith("unused:"):
        scope = "ResourceId = ?"
        params: list[Any] = [rec.resource_id]
    else:
        scope = "x_Ward = ? AND ProviderName = ? AND ServiceCategory = 'Compute'"
        params = [rec.ward, rec.provider]
    row = (
        explorer.cursor()
        .execute(
            f"SELECT sum(x_EffectiveCostReporting) FROM {rel} WHERE {scope} "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
            f"AND x_ChargeDate BETWEEN DATE '{start}' AND DATE '{end}'",
            params,
        )
        .fetchone()
    )
    return float(row[0] or 0.0) / days if row else 0.0
