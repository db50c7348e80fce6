"""Pages of the data-linkage zone: what the zone holds for one's ward, and the release
report the privacy officer reviews and decides on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rengo.core.errors import RengoError
from rengo.core.permissions import allows
from rengo.ebpm.zone import analysis, deposits
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.errors import error_message
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m3", "Data-linkage zone", "/ebpm/zone", "ebpm.zone.read", order=40)]
# States and kinds shown translated.
SHOWN_VALUES = (
    N_("pending"),
    N_("approved"),
    N_("rejected"),
    N_("deleted"),
    N_("disaster"),
    N_("welfare"),
    N_("child"),
)


@router.get("/ebpm/zone", response_class=HTMLResponse)
def overview(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    return render(
        request,
        caller,
        "ebpm_zone/overview.html",
        {
            "deposits": deposits.list_deposits(session, principal),
            "linkages": analysis.list_linkages(session, principal),
            "releases": analysis.list_releases(session, principal),
        },
    )


@router.get("/ebpm/zone/releases/{release_id}", response_class=HTMLResponse)
def release_page(
    release_id: IdPath, request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    release = analysis.get_release(session, principal, release_id)
    can_decide = (
        release.status == "pending"
        and allows(principal, "ebpm.zone.approve", release.ward)
        and principal.tenant == release.ward
        and principal.label != release.requested_by
    )
    return render(
        request,
        caller,
        "ebpm_zone/release.html",
        {
            "r": release,
            "report": release.report,
            "can_decide": can_decide,
            "message": request.query_params.get("message"),
        },
    )


@router.post("/ebpm/zone/releases/{release_id}/decision", response_model=None)
async def release_decision(
    release_id: IdPath, request: Request, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    approve = form.get("decision") == "approve"
    try:
        with runtime.db.session() as session:
            analysis.decide_release(
                session,
                principal,
                release_id,
                approve=approve,
                note=str(form.get("note", ""))[:2000],
                now=runtime.clock.now(),
            )
        message = "approved" if approve else "rejected"
    except RengoError as error:
        message = error_message(error)
    return RedirectResponse(f"/ebpm/zone/releases/{release_id}?message={message}", status_code=303)
