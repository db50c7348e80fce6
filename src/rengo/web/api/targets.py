"""The policy targets (KGI/KSI/KPI) with their live values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from rengo.core.errors import NotFound
from rengo.core.permissions import require
from rengo.targets.evaluate import TargetResult
from rengo.targets.registry import Record, get_target, targets, visible_records
from rengo.web.deps import EvaluatorDep, RuntimeDep, UserDep

router = APIRouter(prefix="/api/v1/targets", tags=["targets"])


class WardValue(BaseModel):
    value: float | None
    status: str
    detail: dict[str, Any] = Field(default_factory=dict)


class RecordOut(BaseModel):
    kind: str = Field(description="What the record is (Incident, Budget line, Training …)")
    ref: str = Field(description="Its id where the platform keeps it")
    ward: str
    on: str = Field(description="Its date (ISO 8601), empty when it has none")
    amount: float | None = Field(description="Its figure in the computation")
    note: str = Field(description="Its role in the computation (baseline, after …)")
    href: str | None


class TrendPoint(BaseModel):
    at: datetime
    value: float | None


class TargetOut(BaseModel):
    id: str
    measure: int = Field(description="1 cyber defence, 2 cost, 3 EBPM/open data, 0 register")
    kind: str = Field(description="KGI | KSI | KPI")
    name_ja: str
    name_en: str
    formula_ja: str
    formula_en: str
    source_ja: str
    source_en: str
    unit: str
    direction: str = Field(description="at_least | at_most | track")
    threshold: float | None
    threshold_setting: str | None
    period: str
    value: float | None
    status: str = Field(
        description="met | not_met | no_data | tracked | planned (its domain is not built yet)"
    )
    detail: dict[str, Any]
    records: list[RecordOut] = Field(
        description="The records the overall value was computed from, those the caller may see "
        "(GET /api/v1/targets/{id} only; an auditor recomputes the value from them)"
    )
    per_ward: dict[str, WardValue]
    trend: list[TrendPoint]
    error: str | None = None


def _out(result: TargetResult, settings: Any, records: list[Record] | None = None) -> TargetOut:
    t = result.target
    return TargetOut(
        id=t.id,
        measure=t.measure,
        kind=t.kind.value,
        name_ja=t.name_ja,
        name_en=t.name_en,
        formula_ja=t.formula_ja,
        formula_en=t.formula_en,
        source_ja=t.source_ja,
        source_en=t.source_en,
        unit=t.unit,
        direction=t.direction.value,
        threshold=result.threshold,
        threshold_setting=t.threshold_setting,
        period=t.period.value,
        value=result.overall.value,
        status=result.status.value,
        detail=result.overall.detail,
        records=[
            RecordOut(
                kind=r.kind,
                ref=r.ref,
                ward=r.ward,
                on=r.on,
                amount=r.amount,
                note=r.note,
                href=r.href,
            )
            for r in records or []
        ],
        per_ward={
            code: WardValue(
                value=m.value, status=t.status(m.value, settings).value, detail=m.detail
            )
            for code, m in sorted(result.per_ward.items())
        },
        trend=[TrendPoint(at=at, value=v) for at, v in result.trend],
        error=result.error,
    )


@router.get("", response_model=list[TargetOut], summary="Every target with its current value")
def list_targets(
    principal: UserDep, runtime: RuntimeDep, evaluator: EvaluatorDep, trend: bool = True
) -> list[TargetOut]:
    require(principal, "targets.read")
    now = runtime.clock.now()
    return [_out(evaluator.evaluate(t, now, trend=trend), runtime.settings) for t in targets()]


@router.get("/{target_id}", response_model=TargetOut, summary="One target with its current value")
def get_one(
    target_id: str, principal: UserDep, runtime: RuntimeDep, evaluator: EvaluatorDep
) -> TargetOut:
    require(principal, "targets.read")
    try:
        target = get_target(target_id)
    except KeyError:
        raise NotFound(f"no target {target_id!r}") from None
    result = evaluator.evaluate(target, runtime.clock.now())
    return _out(result, runtime.settings, visible_records(result.overall.records, principal))
