"""Pages of the joint CSIRT's incidents: list, open (by hand, from a ward's report, from SOC
alert ids), one incident's page (life cycle, containment actions with approval — carried out
by the worker while the page follows their state —, timeline, tasks, evidence) and the
report downloads. The page's forms post to ``csirt_casework.py``; on call: ``oncall.py``;
connectors and costs: ``csirt_settings.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core.clock import JST
from rengo.core.errors import InvalidInput
from rengo.core.permissions import Principal, allows
from rengo.core.wards import JOINT
from rengo.csirt import (
    actions,
    evidence,
    incidents,
    indicators,
    metrics,
    reports,
    search,
    tasks,
    timeline,
)
from rengo.csirt.lifecycle import ORDER
from rengo.csirt.models import IncidentAlert
from rengo.csirt.schemas import IncidentCreate
from rengo.csirt.vocabulary import (
    ACTION_KINDS,
    CATEGORIES,
    REPORT_RECIPIENTS,
    SEVERITIES,
    STATUSES,
    TIMELINE_KINDS,
)
from rengo.web.api.incidents import alert_source, send_notifications
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.errors import error_message, problem_text
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.pages.csirt_forms import int_or_none, jst_input, problems_of
from rengo.web.pages.soc_alerts import LEVEL_LABELS
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m1", "Incidents", "/incidents", "csirt.incidents.read", order=20)]
VOCABULARIES = {
    "categories": CATEGORIES,
    "statuses": STATUSES,
    "severities": SEVERITIES,
    "action_kinds": ACTION_KINDS,
    "timeline_kinds": TIMELINE_KINDS,
    "report_recipients": REPORT_RECIPIENTS,
    "order": ORDER,
}
TIMELINE_SHOWN = 300
NEW_FORM_LABELS = {
    "alert_ids": N_("SOC alert ids (separated by spaces or commas)"),
    "title": N_("Title"),
    "category": N_("Category"),
    "wards": N_("Wards affected"),
    "source": N_("How it reached us"),
    "detected_at": N_("Detected at (JST; empty: now)"),
    "people_affected": N_("People whose personal data is affected"),
    "description": N_("Description"),
}


# -- list and open ------------------------------------------------------------------------


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    qp = request.query_params
    page = qp.get("page") or "1"
    f = search.IncidentFilter(
        ward=qp.get("ward") or None,
        status=qp.get("status") or None,
        open_only=qp.get("open") == "true",
        severity=qp.get("severity") or None,
        category=qp.get("category") or None,
        major={"true": True, "false": False}.get(qp.get("major") or ""),
        q=qp.get("q") or None,
        page=int(page) if page.isdigit() else 1,
    )
    result = search.search(session, principal, f)
    query = {k: v for k, v in qp.items() if k != "page" and v}
    template = "csirt/_results.html" if request.headers.get("hx-request") else "csirt/list.html"
    return render(
        request,
        caller,
        template,
        {
            "result": result,
            "f": f,
            "query": query,
            "can_write": allows(principal, "csirt.incidents.write"),
            **VOCABULARIES,
        },
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def new_form(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    # ``?alert_ids=ALR-…`` opens the form from an alert ("Open incident") or the queue with
    # the alerts filled in: their wards ticked, the first one's title, and the alerts
    # shown (linked, with their level) so the analyst sees what the incident is opened from.
    ids = " ".join(request.query_params.getlist("alert_ids"))[:2000].replace(",", " ").split()
    found = alert_source(request).get(session, principal, ids) if ids else []
    wards = sorted({w for a in found for w in (a.wards or (a.ward,)) if w != JOINT})
    values: dict[str, Any] = {
        "wards": wards or ([] if principal.is_joint else [principal.tenant]),
        "source": "manual",
        "alert_ids": " ".join(ids),
        "title": found[0].title if len(found) == 1 else "",
    }
    context = {"v": values, "problems": [], "alerts": found, "level_labels": LEVEL_LABELS}
    return render(request, caller, "csirt/new.html", context | VOCABULARIES)


def _create_input(form: FormData) -> IncidentCreate:
    alert_ids = [
        a.strip() for a in str(form.get("alert_ids") or "").replace(",", " ").split() if a.strip()
    ]
    try:
        return IncidentCreate.model_validate(
            {
                "title": form.get("title") or None,
                "description": form.get("description") or "",
                "category": form.get("category") or "",
                "wards": form.getlist("wards"),
                "alert_ids": alert_ids,
                "source": form.get("source") or "manual",
                "detected_at": jst_input(str(form.get("detected_at") or ""), "detected_at"),
                "people_affected": int_or_none(form.get("people_affected"), "people_affected"),
            }
        )
    except ValidationError as error:
        raise InvalidInput("the incident cannot be opened", problems_of(error)) from None


@router.post("/incidents/new", response_model=None)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    try:
        data = _create_input(form)
        with runtime.db.session() as session:
            incident = incidents.create_incident(
                session,
                principal,
                data,
                runtime.settings,
                alert_source=alert_source(request),
                now=runtime.clock.now(),
                client=client_address(request),
            )
            incident_id = incident.id
    except InvalidInput as error:
        values = {k: form.get(k) for k in form if k != "wards"} | {"wards": form.getlist("wards")}
        return render(
            request,
            caller,
            "csirt/new.html",
            {
                "v": values,
                "problems": [problem_text(p, NEW_FORM_LABELS) for p in error.problems],
                "message": error_message(error),
                **VOCABULARIES,
            },
            422,
        )
    send_notifications(runtime)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


# -- one incident -----------------------------------------------------------------------


def detail_page(
    request: Request,
    caller: Any,
    session: Session,
    principal: Principal,
    incident_id: int,
    *,
    flash: str | None = None,
    flash_kind: str = "",
    status: int = 200,
) -> HTMLResponse:
    incident = incidents.read_incident(
        session, principal, incident_id, client=client_address(request)
    )
    wards = incidents.wards_of(session, incident.id)
    entries = timeline.entries(session, incident.id, limit=TIMELINE_SHOWN, newest_first=True)
    action_rows = actions.actions_of(session, incident.id)
    return render(
        request,
        caller,
        "csirt/detail.html",
        {
            "i": incident,
            "wards": wards,
            "d": metrics.durations(incident),
            "timeline": entries,
            "timeline_full": len(entries) == TIMELINE_SHOWN,
            "actions": action_rows,
            "tasks": tasks.tasks_of(session, incident.id),
            "evidence": evidence.evidence_of(session, incident.id),
            "indicators": indicators.listed(session, incident.id),
            "alert_ids": incidents.alert_ids_of(session, incident.id),
            "alerts": list(
                session.scalars(
                    select(IncidentAlert)
                    .where(IncidentAlert.incident_id == incident.id)
                    .order_by(IncidentAlert.detected_at)
                )
            ),
            "running": any(
                a.connector_id is not None and a.status in ("approved", "running")
                for a in action_rows
            ),
            "can_write": allows(principal, "csirt.incidents.write", wards),
            "can_act": allows(principal, "csirt.actions.request", wards),
            "can_approve": {
                a.id: allows(principal, "csirt.actions.approve", a.ward)
                and actions.identity_key(principal) != a.requester_key
                for a in action_rows
            },
            "flash": flash,
            "flash_kind": flash_kind,
            "now": datetime.now(JST),
            **VOCABULARIES,
        },
        status_code=status,
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_detail(
    incident_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> HTMLResponse:
    saved = request.query_params.get("saved")
    return detail_page(
        request, caller, session, principal, incident_id, flash=_saved_message(saved)
    )


def _saved_message(key: str | None) -> str | None:
    from rengo.web.i18n import _

    messages = {
        "1": _("Saved."),
        "action": _("Action requested: the ward's endpoint is called in the background."),
        "approved": _("Approved: the action is being carried out."),
        "merged": _("Merged into this incident."),
    }
    return messages.get(key or "")


@router.get("/incidents/{incident_id}/actions/poll", response_model=None)
def poll_actions(incident_id: IdPath, principal: UserDep, session: SessionDep) -> Response:
    """htmx asks while actions run: 204 (keep waiting) until none runs, then a full refresh
    shows the answers on the timeline and the containment time."""
    incident = incidents.get_incident(session, principal, incident_id)
    running = [
        a
        for a in actions.actions_of(session, incident.id)
        if a.connector_id is not None and a.status in ("approved", "running")
    ]
    if running:
        return Response(status_code=204)
    return Response(status_code=200, headers={"HX-Refresh": "true"})


@router.get("/incidents/{incident_id}/report.{fmt}", response_model=None)
def report(
    incident_id: IdPath,
    fmt: str,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    rendered = reports.incident_report(
        session,
        principal,
        incident_id,
        fmt,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'},
    )
