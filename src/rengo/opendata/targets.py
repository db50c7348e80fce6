"""The policy targets this domain computes.

Datasets on the portal are counted from the catalogue; new services per fiscal year from
the published reuses marked as new services, with the evidence each rests on (contest entry,
press article, interview note, submission).
"""

from pathlib import Path

from sqlalchemy import func, select

from rengo.core.clock import to_jst
from rengo.core.wards import JOINT
from rengo.opendata.models import Dataset, Reuse
from rengo.targets.registry import (
    Measurement,
    TargetContext,
    declare,
)


def _datasets(ctx: TargetContext) -> dict[str, Measurement]:
    """Published (not withdrawn) datasets created by ``as_of``, per ward and in all."""
    rows = ctx.session.execute(
        select(Dataset.tenant, func.count())
        .where(Dataset.state == "active", Dataset.created_at <= ctx.as_of)
        .group_by(Dataset.tenant)
    ).all()
    out = {tenant: Measurement(float(n), {"datasets": n}) for tenant, n in rows}
    total = sum(int(n) for _, n in rows)
    out[JOINT] = Measurement(float(total), {"datasets": total})
    return out


def _new_services(ctx: TargetContext) -> dict[str, Measurement]:
    rows = ctx.session.execute(
        select(Reuse.evidence, func.count())
        .where(
            Reuse.status == "published",
            Reuse.new_service.is_(True),
            # launch dates are Japanese calendar days: compare them with JST days, or the
            # KPI misses a launch recorded between 00:00 and 09:00 JST
            Reuse.launched_on >= to_jst(ctx.start).date(),
            Reuse.launched_on <= to_jst(ctx.as_of).date(),
        )
        .group_by(Reuse.evidence)
    ).all()
    by_evidence = {str(kind): int(n) for kind, n in rows}
    return {JOINT: Measurement(float(sum(by_evidence.values())), by_evidence)}


declare(
    Path(__file__).with_name("targets.toml"),
    {"_datasets": _datasets, "_new_services": _new_services},
)
