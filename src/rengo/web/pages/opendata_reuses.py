"""Reuses on the citizens' portal (udata's model): the public gallery and a reuse's page, the
submission form for anyone (no login; a honeypot field and a per-address limit against
abuse, every submission waits in the moderation queue) and the joint centre's moderation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from rengo.core.errors import Problem, TooManyAttempts, problems_from_validation
from rengo.core.permissions import require
from rengo.core.runtime import Runtime
from rengo.opendata import community
from rengo.opendata.settings import OpendataSettings
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.ratelimit import allow
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m3", N_("Apps and reuses"), "/opendata/reuses", "opendata.read", order=14),
    NavItem("m3", N_("Reuse moderation"), "/opendata/moderation", "opendata.curate", order=15),
]
REUSE_TYPES = {
    "application": N_("Application"),
    "api": N_("API"),
    "visualisation": N_("Visualisation"),
    "idea": N_("Idea"),
    "article": N_("Article"),
}
STATUS_LABELS = {
    "pending": N_("Awaiting moderation"),
    "published": N_("Shown on the portal"),
    "rejected": N_("Rejected"),
}
HONEYPOT = "website"
"""A field people do not see (hidden from sight and from assistive technology); a bot that
fills every field gives itself away and its submission is dropped."""
REUSE_FIELDS = ("title", "type", "description", "url", "author", "datasets")


def names(text: str) -> list[str]:
    """Dataset names typed one per line or separated by commas."""
    return [n.strip() for n in text.replace("、", ",").replace("\n", ",").split(",") if n.strip()]


def admit_submission(request: Request, form: FormData, runtime: Runtime) -> bool:
    """False for a bot (the honeypot is filled); raises when the address sent too many."""
    if str(form.get(HONEYPOT) or ""):
        return False
    limit = runtime.settings.section(OpendataSettings).submissions_per_hour
    if not allow(runtime, "opendata.submissions", client_address(request), limit, 3600):
        raise TooManyAttempts("too many submissions from this address; try again in an hour")
    return True


def _form(
    request: Request, caller: Any, values: dict[str, str], problems: list[Problem], status: int
) -> HTMLResponse:
    context = {"values": values, "problems": problems, "types": REUSE_TYPES}
    return render(request, caller, "opendata/reuse_form.html", context, status_code=status)


@router.get("/opendata/reuses", response_class=HTMLResponse)
def gallery(request: Request, caller: CallerDep, session: SessionDep) -> HTMLResponse:
    require(caller.principal, "opendata.read")
    context = {"reuses": community.published_reuses(session), "types": REUSE_TYPES}
    return render(request, caller, "opendata/reuses.html", context)


@router.get("/opendata/reuses/new", response_class=HTMLResponse)
def submission_form(request: Request, caller: CallerDep) -> HTMLResponse:
    require(caller.principal, "opendata.reuse.submit")
    return _form(request, caller, {"type": "application"}, [], 200)


@router.post("/opendata/reuses/new", response_class=HTMLResponse)
async def submit(
    request: Request, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    require(caller.principal, "opendata.reuse.submit")
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in REUSE_FIELDS}
    if not admit_submission(request, form, runtime):
        return RedirectResponse("/opendata/reuses?submitted=1", status_code=303)
    try:
        data = community.ReuseIn.model_validate({**values, "datasets": names(values["datasets"])})
    except ValidationError as error:
        return _form(request, caller, values, problems_from_validation(error), 422)
    community.submit_reuse(session, caller.principal, data)
    return RedirectResponse("/opendata/reuses?submitted=1", status_code=303)


@router.get("/opendata/reuses/{reuse_id}", response_class=HTMLResponse)
def reuse_page(
    reuse_id: IdPath, request: Request, caller: CallerDep, session: SessionDep
) -> HTMLResponse:
    reuse = community.find_reuse(session, caller.principal, reuse_id)
    context = {"r": reuse, "types": REUSE_TYPES, "statuses": STATUS_LABELS}
    return render(request, caller, "opendata/reuse.html", context)


@router.get("/opendata/moderation", response_class=HTMLResponse)
def moderation(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    context = {"reuses": community.pending_reuses(session, principal), "types": REUSE_TYPES}
    return render(request, caller, "opendata/moderation.html", context)


@router.post("/opendata/moderation/{reuse_id}")
def moderate(
    reuse_id: IdPath,
    decision: Annotated[str, Form(pattern="^(publish|reject)$")],
    principal: UserDep,
    session: SessionDep,
) -> RedirectResponse:
    community.moderate(session, principal, reuse_id, decision == "publish")
    return RedirectResponse("/opendata/moderation", status_code=303)
