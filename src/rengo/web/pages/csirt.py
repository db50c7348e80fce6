"""Pages of the joint CSIRT's incidents: list, open (by hand, from a ward's report, from SOC
alert ids), work on one (life cycle, containment actions with approval — carried out by
the worker while the page follows their state —, timeline, tasks, evidence, merge and
split), and the report downloads. On call: ``oncall.py``; connectors and costs:
``csirt_settings.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core import audit
from rengo.core.clock import JST
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows
from rengo.core.wards import JOINT
from rengo.csirt import (
    actions,
    changes,
    evidence,
    incidents,
    indicators,
    merge,
    metrics,
    reports,
    search,
    tasks,
    timeline,
)
from rengo.csirt.lifecycle import ORDER
from rengo.csirt.models import IncidentAlert
from rengo.csirt.schemas import IncidentCreate, IncidentPatch
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.vocabulary import (
    ACTION_KINDS,
    CATEGORIES,
    REPORT_RECIPIENTS,
    SEVERITIES,
    STATUSES,
    TIMELINE_KINDS,
)
from rengo.web.api.incidents import alert_source, send_notifications
from rengo.web.api.oncall import wake_worker
from rengo.web.deps import (
    CallerDep,
    FormPost,
    FormPostDep,
    IdPath,
    RuntimeDep,
    SessionDep,
    UserDep,
    client_address,
)
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

DETAIL_LABELS = {
    "reason": N_("Why"),
    "target": N_("Action target"),
    "text": N_("Note"),
    "title": N_("Title"),
    "assignee": N_("Assignee (user name)"),
    "file": N_("File"),
    "cause": N_("Cause (needed to close)"),
    "report_summary": N_("Report summary (needed to close)"),
    "people_affected": N_("People whose personal data is affected"),
    "outage_system": N_("Core system that is down"),
    "outage_started_at": N_("Outage start (JST)"),
    "outage_ended_at": N_("Outage end (JST)"),
    "incident_ids": N_("Incident numbers (e.g. INC-000012, separated by spaces)"),
    "alert_ids": N_("Alerts"),
}
"""What the incident page calls the fields a refusal names."""


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


def _detail(
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
    incident = incidents.get_incident(session, principal, incident_id)
    audit.record_read(
        session,
        principal,
        "incident.read",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client_address(request),
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
    return _detail(request, caller, session, principal, incident_id, flash=_saved_message(saved))


def _saved_message(key: str | None) -> str | None:
    from rengo.web.i18n import _

    messages = {
        "1": _("Saved."),
        "action": _("Action requested: the ward's endpoint is called in the background."),
        "approved": _("Approved: the action is being carried out."),
        "merged": _("Merged into this incident."),
    }
    return messages.get(key or "")


async def _post(post: FormPost, incident_id: int, work: Any, saved: str = "1") -> Response:
    """Run ``work(session, form)`` in a transaction; on a rengo error show the page again."""
    request, caller, principal, runtime = post.request, post.caller, post.principal, post.runtime
    form = await request.form()
    try:
        with runtime.db.session() as session:
            after = work(session, form)
    except (InvalidInput, Conflict, Forbidden, NotFound) as error:
        message = error_message(error) + "".join(
            f" — {problem_text(p, DETAIL_LABELS)}" for p in error.problems
        )
        with runtime.db.session() as session:
            return _detail(
                request,
                caller,
                session,
                principal,
                incident_id,
                flash=message,
                flash_kind="error",
                status=error.status_code,
            )
    wake_worker(request.app)
    send_notifications(runtime)
    goto = after if isinstance(after, int) else incident_id
    return RedirectResponse(f"/incidents/{goto}?saved={saved}", status_code=303)


@router.post("/incidents/{incident_id}/transition", response_model=None)
async def transition(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        changes.transition(
            session,
            post.principal,
            incident_id,
            str(form.get("to") or ""),
            str(form.get("reason") or ""),
            post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/edit", response_model=None)
async def edit(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        values: dict[str, Any] = {
            name: str(form.get(name) or "") for name in ("cause", "report_summary", "lessons")
        }
        values["people_affected"] = int_or_none(form.get("people_affected"), "people_affected")
        values["outage_system"] = str(form.get("outage_system") or "") or None
        for name in ("outage_started_at", "outage_ended_at"):
            values[name] = jst_input(str(form.get(name) or ""), name)
        try:
            patch = IncidentPatch.model_validate(values)
        except ValidationError as error:
            raise InvalidInput("invalid values", problems_of(error)) from None
        changes.update_incident(
            session,
            post.principal,
            incident_id,
            patch,
            post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/notes", response_model=None)
async def add_note(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        text = str(form.get("text") or "").strip()
        if not text:
            raise InvalidInput("empty note", [Problem("write something", "field text")])
        chosen = str(form.get("kind") or "note")
        to = [chosen] if chosen in REPORT_RECIPIENTS else []
        kind = "message" if chosen == "message" or to else "note"
        changes.add_note(
            session,
            post.principal,
            incident_id,
            text,
            kind,
            now=post.runtime.clock.now(),
            client=post.client,
            to=to,
        )

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/actions", response_model=None)
async def request_action(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        if not str(form.get("target") or "").strip():
            raise InvalidInput("no target", [Problem("say what to act on", "field target")])
        actions.request_action(
            session,
            post.principal,
            incident_id,
            kind=str(form.get("kind") or ""),
            target=str(form.get("target") or ""),
            reason=str(form.get("reason") or ""),
            ward=str(form.get("ward") or "") or None,
            connector_id=None,
            settings=post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work, saved="action")


@router.post("/incidents/{incident_id}/actions/{action_id}/decide", response_model=None)
async def decide(
    incident_id: IdPath,
    action_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        actions.action_of_incident(session, post.principal, incident_id, action_id)
        approve = form.get("decision") == "approve"
        actions.decide(
            session,
            post.principal,
            action_id,
            approve=approve,
            note=str(form.get("note") or ""),
            settings=post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work, saved="approved")


@router.post("/incidents/{incident_id}/actions/{action_id}/retry", response_model=None)
async def retry_action(
    incident_id: IdPath,
    action_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        actions.action_of_incident(session, post.principal, incident_id, action_id)
        actions.retry(
            session,
            post.principal,
            action_id,
            settings=post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work, saved="action")


@router.post("/incidents/{incident_id}/actions/{action_id}/confirm", response_model=None)
async def confirm_action(
    incident_id: IdPath,
    action_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        actions.action_of_incident(session, post.principal, incident_id, action_id)
        actions.confirm_by_hand(
            session,
            post.principal,
            action_id,
            succeeded=form.get("outcome") == "done",
            note=str(form.get("note") or ""),
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work)


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


# -- merge and split ---------------------------------------------------------------------


def _incident_ids(text: str) -> list[int]:
    """``INC-000012``, ``12`` or several of them, separated by spaces or commas."""
    ids = []
    for part in text.replace(",", " ").split():
        digits = part.upper().removeprefix("INC-")
        if not digits.isdigit() or not 0 < int(digits) < 2**31:
            raise InvalidInput(
                "unknown incident",
                [
                    Problem(
                        "{part!r} is not an incident number",
                        "field incident_ids",
                        values={"part": part},
                    )
                ],
            )
        ids.append(int(digits))
    if not ids:
        raise InvalidInput(
            "nothing to merge", [Problem("name the incidents to merge", "field incident_ids")]
        )
    return ids


@router.post("/incidents/{incident_id}/merge", response_model=None)
async def merge_into(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        merge.merge(
            session,
            post.principal,
            incident_id,
            _incident_ids(str(form.get("incident_ids") or "")),
            reason=_reason(form),
            settings=post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work, saved="merged")


@router.post("/incidents/{incident_id}/split", response_model=None)
async def split_off(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> int:
        chosen = [str(a) for a in form.getlist("alert_ids")]
        if not chosen:
            raise InvalidInput(
                "nothing to split", [Problem("choose the alerts to move", "field alert_ids")]
            )
        title = str(form.get("title") or "").strip()
        if not title:
            raise InvalidInput("no title", [Problem("a title for the new incident", "field title")])
        new = merge.split(
            session,
            post.principal,
            incident_id,
            chosen,
            title=title[:200],
            reason=_reason(form),
            settings=post.runtime.settings,
            now=post.runtime.clock.now(),
            client=post.client,
        )
        return new.id

    return await _post(post, incident_id, work)


def _reason(form: FormData) -> str:
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise InvalidInput("say why", [Problem("a reason is required", "field reason")])
    return reason


@router.post("/incidents/{incident_id}/tasks", response_model=None)
async def add_task(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        title = str(form.get("title") or "").strip()
        if not title:
            raise InvalidInput("no title", [Problem("say what is to be done", "field title")])
        tasks.add_task(
            session,
            post.principal,
            incident_id,
            title=title,
            assignee=str(form.get("assignee") or "") or None,
            due_at=jst_input(str(form.get("due_at") or ""), "due_at"),
            now=post.runtime.clock.now(),
        )

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/tasks/{task_id}/done", response_model=None)
async def task_done(
    incident_id: IdPath,
    task_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        tasks.complete_task(session, post.principal, task_id, post.runtime.clock.now())

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/evidence", response_model=None)
async def upload_evidence(
    incident_id: IdPath,
    post: FormPostDep,
) -> Response:
    def work(session: Session, form: FormData) -> None:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("no file", [Problem("choose a file", "field file")])
        evidence.store(
            session,
            post.principal,
            incident_id,
            upload.file,
            filename=upload.filename or "evidence.bin",
            content_type=upload.content_type or "application/octet-stream",
            description=str(form.get("description") or ""),
            data_dir=post.runtime.data_dir,
            max_bytes=post.runtime.settings.section(CsirtSettings).evidence_max_mb << 20,
            now=post.runtime.clock.now(),
            client=post.client,
        )

    return await _post(post, incident_id, work)


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
