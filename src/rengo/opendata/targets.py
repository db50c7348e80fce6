"""The policy targets this domain computes.

Datasets on the portal are counted from the catalogue; new services per fiscal year from
the published reuses marked as new services, with the evidence each rests on (contest entry,
press article, interview note, submission).
"""

from sqlalchemy import func, select

from rengo.core.clock import JST
from rengo.core.wards import JOINT
from rengo.opendata.models import Dataset, Reuse
from rengo.targets.registry import (
    Direction,
    Kind,
    Measurement,
    Period,
    Target,
    TargetContext,
    register,
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
            Reuse.launched_on >= ctx.start.astimezone(JST).date(),
            Reuse.launched_on <= ctx.as_of.astimezone(JST).date(),
        )
        .group_by(Reuse.evidence)
    ).all()
    by_evidence = {str(kind): int(n) for kind, n in rows}
    return {JOINT: Measurement(float(sum(by_evidence.values())), by_evidence)}


register(
    Target(
        id="m3.kpi.open_datasets",
        measure=3,
        kind=Kind.KPI,
        name_ja="ポータル掲載データセット数",
        name_en="Datasets on the portal",
        formula_ja="ポータルに公開中のデータセット数(3年で目標値)",
        formula_en="Datasets published on the joint portal (target within 3 years)",
        source_ja="オープンデータポータルのカタログ",
        source_en="The open-data portal's catalogue",
        unit="件",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.open_datasets_target",
        period=Period.SNAPSHOT,
        domain="opendata",
        compute=_datasets,
        evidence_path="/opendata",
    )
)

register(
    Target(
        id="m3.kpi.open_data_apps",
        measure=3,
        kind=Kind.KPI,
        name_ja="オープンデータを活用した新規サービス・アプリ数",
        name_en="New services and apps built on open data",
        formula_ja="年度内に登録された活用事例(サービス・アプリ)の数",
        formula_en="Apps and services built on the data registered this fiscal year",
        source_ja="活用事例の登録とコンテスト応募",
        source_en="Showcase registrations and contest entries",
        unit="件",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.open_apps_per_year",
        period=Period.FISCAL_YEAR,
        domain="opendata",
        compute=_new_services,
        evidence_path="/api/v1/opendata/reuses",
    )
)
