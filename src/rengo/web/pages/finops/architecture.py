"""The architecture review on a system's asset page (``/assets/{id}``): the checklist's
findings with their evidence, the recorded reviews and, for a reviewer, the form that
records one (``rengo.finops.architecture``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rengo.assets import service as assets
from rengo.assets.models import Asset
from rengo.core.errors import InvalidInput, problems_from_validation
from rengo.core.permissions import Principal, allows
from rengo.core.runtime import Runtime
from rengo.finops import architecture
from rengo.finops.lake import Lake
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_
from rengo.web.pages.finops.common import back

router = APIRouter(include_in_schema=False)


EVIDENCE = (
    N_("No cost rows for this system"),
    N_("No cost in the window"),
    N_(
        "Virtual machines carry %(share)s%% of the cost of the last %(days)s days; "
        "the asset register places the system on premises"
    ),
    N_(
        "Virtual machines carry %(share)s%% of the cost of the last %(days)s days; "
        "the asset register places the system in the cloud"
    ),
    N_("The bills hold no hourly rows for the virtual machines"),
    N_("Hourly usage of the virtual machines: busiest hours %(ratio)s times the quietest"),
    N_("No hourly rows at night and in office hours"),
    N_("Usage at night (00–06) is %(share)s%% of office hours (09–18)"),
    N_("No CPU utilisation in the cost rows"),
    N_("Average CPU utilisation of the virtual machines: %(cpu)s%%"),
    N_("No storage cost in the window"),
    N_("Cold storage tiers carry %(share)s%% of the storage cost"),
)
"""The evidence messages ``rengo.finops.architecture`` writes, which the page translates
(listed here for the catalogue; ``tests/finops/test_architecture.py`` keeps them equal)."""


def architecture_context(
    session: Session, principal: Principal, runtime: Runtime, asset: Asset
) -> dict[str, Any] | None:
    """The review for the asset page, or None (no business system, or no cost access)."""
    if not asset.business_system or not allows(principal, "finops.costs.read", asset.tenant):
        return None
    return {
        "review": architecture.assess(Lake.of(runtime.data_dir), asset),
        "reviews": architecture.reviews(session, principal, asset),
        "checks": architecture.CHECKS,
        "statuses": architecture.STATUSES,
        "decisions": architecture.DECISIONS,
        "can_review": allows(principal, "finops.architecture.review", asset.tenant),
        "window_days": architecture.WINDOW_DAYS,
    }


@router.post("/assets/{asset_id}/architecture-review")
async def record_review(
    asset_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> RedirectResponse:
    form = await request.form()
    items = [line.strip() for line in str(form.get("action_items", "")).splitlines()]
    try:
        data = architecture.ReviewIn(
            decision=str(form.get("decision", "")),
            action_items=[i for i in items if i],
        )
    except ValidationError as error:
        raise InvalidInput("invalid architecture review", problems_from_validation(error)) from None
    asset = assets.get_asset(session, principal, asset_id, client=client_address(request))
    architecture.record(
        session, principal, Lake.of(runtime.data_dir), asset, data, runtime.clock.now()
    )
    return back(f"/assets/{asset_id}", saved="review")
