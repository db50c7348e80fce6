"""Architecture review of a system before migration over JSON
(``rengo.finops.architecture``): the checklist's findings and the recorded reviews."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from rengo.assets import service as assets
from rengo.core.permissions import require
from rengo.finops import architecture
from rengo.finops.architecture import ReviewIn
from rengo.finops.lake import Lake
from rengo.finops.models import ArchitectureReview
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/finops/architecture", tags=["finops"])


class FindingOut(BaseModel):
    check: str = Field(description=" | ".join(architecture.CHECKS))
    status: str = Field(description="pass | fail | unknown (the data it needs is missing)")
    evidence: str = Field(description="What the check looked at, in English")
    values: dict[str, str | int | float]


class ReviewOut(BaseModel):
    id: int
    decision: str = Field(description="accepted | action_required")
    action_items: list[str]
    score: float | None
    reviewer: str
    reviewed_at: datetime
    findings: list[FindingOut] = Field(description="The findings when the review was recorded")


class ArchitectureOut(BaseModel):
    asset_id: int
    ward: str
    business_system: str
    rows: int = Field(
        description=f"FOCUS rows of the system in its last {architecture.WINDOW_DAYS} days of data"
    )
    score: float | None = Field(description="Percent of passes among the assessed checks")
    findings: list[FindingOut]
    reviews: list[ReviewOut]


def _finding(f: dict[str, object]) -> FindingOut:
    raw = f.get("values")
    values: dict[str, str | int | float] = dict(raw) if isinstance(raw, dict) else {}
    text = str(f["evidence"])
    return FindingOut(
        check=str(f["check"]),
        status=str(f["status"]),
        evidence=text % values if values else text.replace("%%", "%"),
        values=values,
    )


def _review(row: ArchitectureReview) -> ReviewOut:
    return ReviewOut(
        id=row.id,
        decision=row.decision,
        action_items=row.action_items,
        score=row.score,
        reviewer=row.reviewer,
        reviewed_at=row.reviewed_at,
        findings=[_finding(f) for f in row.findings],
    )


@router.get("/{asset_id}", response_model=ArchitectureOut, summary="A system's review checklist")
def get_review(
    asset_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ArchitectureOut:
    asset = assets.get_asset(session, principal, asset_id, client=client_address(request))
    require(principal, "finops.costs.read", asset.tenant, hide=True)
    shown = architecture.assess(Lake.of(runtime.data_dir), asset)
    return ArchitectureOut(
        asset_id=asset.id,
        ward=asset.tenant,
        business_system=shown.business_system,
        rows=shown.rows,
        score=shown.score,
        findings=[_finding(asdict(f)) for f in shown.findings],
        reviews=[_review(r) for r in architecture.reviews(session, principal, asset)],
    )


@router.post(
    "/{asset_id}/reviews",
    response_model=ReviewOut,
    status_code=201,
    summary="Record the architecture review (accepted, or action items)",
)
def post_review(
    asset_id: IdPath,
    data: ReviewIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReviewOut:
    asset = assets.get_asset(session, principal, asset_id, client=client_address(request))
    row = architecture.record(
        session, principal, Lake.of(runtime.data_dir), asset, data, runtime.clock.now()
    )
    return _review(row)
