"""Targets computed from the register."""

from __future__ import annotations

from sqlalchemy import case, func, select

from rengo.assets.models import Asset
from rengo.core.wards import JOINT
from rengo.targets.registry import (
    Direction,
    Kind,
    Measurement,
    Period,
    Target,
    TargetContext,
    register,
)


def _share_classified(ctx: TargetContext) -> dict[str, Measurement]:
    complete = case((Asset.classified, 1), else_=0)
    rows = ctx.session.execute(
        select(Asset.tenant, func.count(), func.sum(complete))
        .where(Asset.created_at <= ctx.as_of)
        .where((Asset.retired_on.is_(None)) | (Asset.retired_on > ctx.as_of.date()))
        .group_by(Asset.tenant)
    ).all()
    out: dict[str, Measurement] = {}
    total_all = classified_all = 0
    for tenant, total, classified in rows:
        classified = int(classified or 0)
        total_all += total
        classified_all += classified
        out[tenant] = Measurement(
            round(100.0 * classified / total, 1), {"classified": classified, "assets": total}
        )
    if total_all:
        out[JOINT] = Measurement(
            round(100.0 * classified_all / total_all, 1),
            {"classified": classified_all, "assets": total_all},
        )
    return out


register(
    Target(
        id="register.kpi.assets_classified",
        measure=0,
        kind=Kind.KPI,
        name_ja="情報資産の分類済み割合",
        name_en="Information assets classified",
        formula_ja="機密性・完全性・可用性がすべて付された資産数 ÷ 現存する資産数 × 100",
        formula_en=(
            "Assets with confidentiality, integrity and availability set ÷ live assets × 100"
        ),
        source_ja="情報資産台帳(本プラットフォーム)の現在の登録内容",
        source_en="The information asset register on this platform, as it stands",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.assets_classified_pct",
        period=Period.SNAPSHOT,
        domain="assets",
        compute=_share_classified,
        evidence_path="/assets?classified=false",
    )
)
