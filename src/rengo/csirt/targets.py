"""The policy targets the joint CSIRT computes, live, from its own records.

- KGI major incidents: incidents detected in the fiscal year that were major by
  ``as_of`` (exercises excluded, merged duplicates counted once), per ward involved and
  for all wards together;
- KSI mean time to contain: mean of (first successful containment − detection) in hours
  over the year's contained incidents; p90 and counts in the detail (an incident
  open in several wards counted once in the joint figure).

The KPI security cost per resident is computed by FinOps from the budget import and the
joint SOC/CSIRT's costs (``rengo.finops.operating_cost``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from sqlalchemy import Select, select

from rengo.core.wards import JOINT, ward_codes
from rengo.csirt.metrics import mean, percentile
from rengo.csirt.models import Incident, IncidentWard
from rengo.targets.registry import (
    Measurement,
    Record,
    TargetContext,
    declare,
)


def _counted(ctx: TargetContext) -> Select[Incident, str]:
    return (
        select(Incident, IncidentWard.ward)
        .join(IncidentWard, IncidentWard.incident_id == Incident.id)
        .where(Incident.detected_at >= ctx.start, Incident.detected_at <= ctx.as_of)
        .where(Incident.merged_into_id.is_(None), Incident.origin != "exercise")
    )


def _any_incident(ctx: TargetContext) -> bool:
    return (
        ctx.session.scalar(select(Incident.id).where(Incident.created_at <= ctx.as_of).limit(1))
        is not None
    )


def major_incidents(ctx: TargetContext) -> dict[str, Measurement]:
    if not _any_incident(ctx):
        return {}
    per_ward: dict[str, set[int]] = defaultdict(set)
    incidents: dict[int, set[str]] = defaultdict(set)
    stmt = _counted(ctx).where(Incident.major.is_(True), Incident.major_at <= ctx.as_of)
    for incident, ward in ctx.session.execute(stmt):
        per_ward[ward].add(incident.id)
        incidents[incident.id].add(ward)
    out = {
        w: Measurement(float(len(per_ward.get(w, ()))), {"incidents": sorted(per_ward.get(w, ()))})
        for w in ward_codes()
    }
    out[JOINT] = Measurement(float(len(incidents)), {"incidents": sorted(incidents)})
    return out


def mean_time_to_contain(ctx: TargetContext) -> dict[str, Measurement]:
    records: dict[int, Record] = {}
    per_ward: dict[str, dict[int, float]] = defaultdict(dict)
    overall: dict[int, float] = {}
    uncontained: dict[str, set[int]] = defaultdict(set)
    for incident, ward in ctx.session.execute(_counted(ctx)):
        if incident.contained_at is None or incident.contained_at > ctx.as_of:
            # A cross-ward incident is open in each of its wards, but once in the joint figure.
            uncontained[ward].add(incident.id)
            uncontained[JOINT].add(incident.id)
            records.setdefault(incident.id, _record(incident, None))
            continue
        hours = (incident.contained_at - incident.detected_at).total_seconds() / 3600
        per_ward[ward][incident.id] = hours
        overall[incident.id] = hours
        records.setdefault(incident.id, _record(incident, hours))

    def measurement(values: dict[int, float], open_ids: set[int]) -> Measurement:
        value = mean(list(values.values()))
        p90 = percentile(list(values.values()), 0.9)
        return Measurement(
            round(value, 3) if value is not None else None,
            {
                "contained": len(values),
                "p90_hours": round(p90, 3) if p90 is not None else None,
                "not_contained": len(open_ids),
                "incidents_contained": sorted(values),
                "incidents_not_contained": sorted(open_ids),
            },
        )

    wards = (set(per_ward) | set(uncontained)) - {JOINT}
    out = {w: measurement(per_ward.get(w, {}), uncontained.get(w, set())) for w in wards}
    if overall or uncontained:
        joint = measurement(overall, uncontained.get(JOINT, set()))
        out[JOINT] = Measurement(
            joint.value, joint.detail, tuple(records[i] for i in sorted(records))
        )
    return out


def _record(incident: Incident, hours: float | None) -> Record:
    return Record(
        "Incident",
        str(incident.id),
        incident.lead_ward or "",
        incident.detected_at.date().isoformat(),
        round(hours, 3) if hours is not None else None,
        "hours to contain" if hours is not None else "not contained",
        f"/incidents/{incident.id}",
    )


declare(
    Path(__file__).with_name("targets.toml"),
    {"major_incidents": major_incidents, "mean_time_to_contain": mean_time_to_contain},
)
