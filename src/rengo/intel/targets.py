"""The policy targets this domain computes, from the hub's own publication records.

- critical threat information shared (the seed's 「重要脅威情報(緊急対応が必要なレベル)の件数」):
  wards' reports approved as ``urgent`` and advisories published as ``urgent`` in the
  period — the urgency is set by whoever approves or publishes;
- intelligence objects shared (the broader figure, tracked): objects the hub published to
  the wards in the period (the shared and advisories collections; indicators,
  vulnerabilities, reports, countermeasures, threat actors, malware …), by TLP and type;
- time from a ward's submission to its publication (median hours);
- share of recipient wards that applied each advisory's countermeasure.

The first two are counted for all wards together only: per-ward figures would say which
ward submitted what, which the anonymiser exists to hide.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median

from sqlalchemy import func, select

from rengo.core.wards import JOINT
from rengo.intel.collections import ADVISORIES, SHARED
from rengo.intel.models import Advisory, AdvisoryRecipient, IntelObject, Submission
from rengo.targets.registry import (
    Measurement,
    Record,
    TargetContext,
    declare,
)

CRITICAL_TYPES = (
    "indicator",
    "vulnerability",
    "report",
    "course-of-action",
    "malware",
    "attack-pattern",
    "campaign",
    "threat-actor",
    "intrusion-set",
    "tool",
    "infrastructure",
)


def _urgent_shared(ctx: TargetContext) -> dict[str, Measurement]:
    reports = list(
        ctx.session.execute(
            select(Submission.id, Submission.published_at).where(
                Submission.urgency == "urgent",
                Submission.published_at >= ctx.start,
                Submission.published_at <= ctx.as_of,
            )
        )
    )
    advisories = list(
        ctx.session.execute(
            select(Advisory.id, Advisory.published_at).where(
                Advisory.urgency == "urgent",
                Advisory.published_at >= ctx.start,
                Advisory.published_at <= ctx.as_of,
            )
        )
    )
    return {
        JOINT: Measurement(
            float(len(reports) + len(advisories)),
            {
                "urgent_reports": len(reports),
                "urgent_advisories": len(advisories),
                "report_ids": sorted(i for i, _ in reports),
                "advisory_ids": sorted(i for i, _ in advisories),
            },
            # No ward on a shared report: who submitted it is what the anonymiser hides.
            tuple(
                Record("Shared report", str(i), on=at.date().isoformat() if at else "")
                for i, at in sorted(reports)
            )
            + tuple(
                Record("Advisory", str(i), on=at.date().isoformat(), href=f"/intel/advisories/{i}")
                for i, at in sorted(advisories)
            ),
        )
    }


def _objects_shared(ctx: TargetContext) -> dict[str, Measurement]:
    rows = ctx.session.execute(
        select(IntelObject.tlp, IntelObject.type, func.count())
        .where(
            IntelObject.collection_id.in_((SHARED, ADVISORIES)),
            IntelObject.type.in_(CRITICAL_TYPES),
            IntelObject.is_first.is_(True),
            IntelObject.date_added >= ctx.start,
            IntelObject.date_added <= ctx.as_of,
        )
        .group_by(IntelObject.tlp, IntelObject.type)
    ).all()
    by_tlp: Counter[str] = Counter()
    by_type: Counter[str] = Counter()
    for tlp, kind, count in rows:
        by_tlp[tlp] += count
        by_type[kind] += count
    total = sum(by_tlp.values())
    return {JOINT: Measurement(float(total), {"by_tlp": dict(by_tlp), "by_type": dict(by_type)})}


def _time_to_publish(ctx: TargetContext) -> dict[str, Measurement]:
    rows = ctx.session.execute(
        select(Submission.created_at, Submission.published_at).where(
            Submission.published_at.is_not(None),
            Submission.published_at >= ctx.start,
            Submission.published_at <= ctx.as_of,
        )
    ).all()
    hours = [
        (published - created).total_seconds() / 3600 for created, published in rows if published
    ]
    if not hours:
        return {}
    return {
        JOINT: Measurement(
            round(median(hours), 2), {"published": len(hours), "max_hours": round(max(hours), 2)}
        )
    }


def _advisories_applied(ctx: TargetContext) -> dict[str, Measurement]:
    rows = ctx.session.execute(
        select(AdvisoryRecipient.ward, AdvisoryRecipient.applied_at)
        .join(Advisory, Advisory.id == AdvisoryRecipient.advisory_id)
        .where(Advisory.published_at >= ctx.start, Advisory.published_at <= ctx.as_of)
    ).all()
    received: Counter[str] = Counter()
    applied: Counter[str] = Counter()
    for ward, applied_at in rows:
        received[ward] += 1
        if applied_at is not None and applied_at <= ctx.as_of:
            applied[ward] += 1
    out = {
        ward: Measurement(
            round(100.0 * applied[ward] / n, 1), {"applied": applied[ward], "received": n}
        )
        for ward, n in received.items()
    }
    if received:
        total, done = sum(received.values()), sum(applied.values())
        out[JOINT] = Measurement(
            round(100.0 * done / total, 1), {"applied": done, "received": total}
        )
    return out


declare(
    Path(__file__).with_name("targets.toml"),
    {
        "_urgent_shared": _urgent_shared,
        "_objects_shared": _objects_shared,
        "_time_to_publish": _time_to_publish,
        "_advisories_applied": _advisories_applied,
    },
)
