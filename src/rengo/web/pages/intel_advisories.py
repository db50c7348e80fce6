"""Pages of the intelligence hub's advisories: the joint centre publishes countermeasures to
all or chosen wards; each ward acknowledges them and records when it has applied them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rengo.core.errors import InvalidInput, RengoError, problems_from_validation
from rengo.core.permissions import allows, require
from rengo.core.wards import wards
from rengo.intel import advisories
from rengo.intel.models import URGENCIES
from rengo.web.deps import CallerDep, FormPostDep, IdPath, SessionDep, UserDep
from rengo.web.errors import error_message
from rengo.web.pages.intel import field_errors, form_lines
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/intel/advisories", response_class=HTMLResponse)
def advisory_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    rows, _ = advisories.search(session, principal, limit=200)
    return render(
        request,
        caller,
        "intel/advisories.html",
        {"rows": rows, "can_publish": allows(principal, "intel.advisory.publish")},
    )


@router.get("/intel/advisories/new", response_class=HTMLResponse)
def advisory_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    require(principal, "intel.advisory.publish")
    return render(
        request,
        caller,
        "intel/advisory_form.html",
        {
            "v": {"tlp": "amber", "severity": "high", "urgency": "routine"},
            "errors": {},
            "ward_list": wards(),
            "levels": ["clear", "green", "amber"],
            "severities": advisories.SEVERITIES,
            "urgencies": URGENCIES,
        },
    )


@router.post("/intel/advisories/new", response_model=None)
async def advisory_create(post: FormPostDep) -> Response:
    request, caller, runtime = post.request, post.caller, post.runtime
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    chosen = [str(w) for w in form.getlist("wards")]
    data: dict[str, Any] = {
        **values,
        "wards": chosen or None,
        "indicator_values": form_lines(values.get("indicator_values", "")),
    }
    if not data.get("due_at"):
        data.pop("due_at", None)
    try:
        body = advisories.AdvisoryCreate.model_validate(data)
        with runtime.db.session() as session:
            advisory = advisories.publish(post.acting(session), body)
            aid = advisory.id
    except (ValidationError, InvalidInput) as error:
        problems = (
            problems_from_validation(error)
            if isinstance(error, ValidationError)
            else error.problems
        )
        return render(
            request,
            caller,
            "intel/advisory_form.html",
            {
                "v": {**values, "wards": chosen},
                "errors": field_errors(problems),
                "ward_list": wards(),
                "levels": ["clear", "green", "amber"],
                "severities": advisories.SEVERITIES,
                "urgencies": URGENCIES,
            },
            422,
        )
    return RedirectResponse(f"/intel/advisories/{aid}", status_code=303)


@router.get("/intel/advisories/{advisory_id}", response_class=HTMLResponse)
def advisory_detail(
    advisory_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> HTMLResponse:
    advisory = advisories.get(session, principal, advisory_id)
    rows = advisories.recipients(session, principal, advisory_id)
    return render(
        request,
        caller,
        "intel/advisory.html",
        {
            "a": advisory,
            "rows": rows,
            "can_respond": allows(principal, "intel.advisory.respond", principal.tenant)
            and any(r.ward == principal.tenant for r in rows),
            "not_applied": [r for r in rows if r.applied_at is None],
            "message": request.query_params.get("message"),
        },
    )


@router.post("/intel/advisories/{advisory_id}/respond", response_model=None)
async def advisory_respond(advisory_id: IdPath, post: FormPostDep) -> Response:
    form = await post.request.form()
    message = "recorded"
    try:
        with post.runtime.db.session() as session:
            advisories.respond(
                post.acting(session),
                advisory_id,
                acknowledged=form.get("acknowledged") == "on",
                applied=form.get("applied") == "on",
                note=str(form.get("note", "")),
            )
    except RengoError as error:
        message = error_message(error)
    return RedirectResponse(f"/intel/advisories/{advisory_id}?message={message}", status_code=303)
