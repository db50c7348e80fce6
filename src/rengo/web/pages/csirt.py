"""Pages of the joint CSIRT: incidents (list, open, work on one), on call, security costs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core.clock import JST
from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows
from rengo.csirt import (
    actions,
    costs,
    evidence,
    incidents,
    indicators,
    metrics,
    oncall,
    reports,
    tasks,
    timeline,
)
from rengo.csirt.lifecycle import ORDER
from rengo.csirt.schemas import IncidentCreate, IncidentPatch
from rengo.csirt.vocabulary import ACTION_KINDS, CATEGORIES, SEVERITIES, STATUSES, TIMELINE_KINDS
from rengo.targets.registry import fiscal_year_start
from rengo.web.api.incidents import alert_source, send_notifications
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep, client_address
from rengo.web.nav import NavItem
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [
    NavItem("m1", "Incidents", "/incidents", "csirt.incidents.read", order=20),
    NavItem("m1", "On call", "/oncall", "csirt.oncall.read", order=25),
    NavItem("m1", "Security costs", "/csirt/costs", "csirt.costs.read", order=28),
]
VOCABULARIES = {
    "categories": CATEGORIES, "statuses": STATUSES, "severities": SEVERITIES,
    "action_kinds": ACTION_KINDS, "timeline_kinds": TIMELINE_KINDS, "order": ORDER,
}  # fmt: skip
TIMELINE_SHOWN = 300


def N_(message: str) -> str:
    """Marks a msgid that templates translate from a stored value (``_(a.status)``)."""
    return message


STORED_VALUE_LABELS = (
    N_("pending_approval"), N_("approved"), N_("running"), N_("succeeded"), N_("failed"),
    N_("rejected"), N_("open"), N_("acknowledged"), N_("exhausted"), N_("demo"), N_("exercise"),
    N_("population"), N_("recorded shares"), N_("standalone_estimate"), N_("joint_operating"),
    N_("joint_share"),
)  # fmt: skip


def _jst_input(value: str | None, field: str) -> datetime | None:
    """A ``datetime-local`` value, which the form shows and takes in JST."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=JST)
    except ValueError:
        raise InvalidInput(
            "invalid date", [Problem("a date and time like 2026-06-01T10:00", f"field {field}")]
        ) from None


def _int(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).replace(",", ""))
    except ValueError:
        raise InvalidInput(
            "invalid number", [Problem("a whole number", f"field {field}")]
        ) from None


def _problems(error: ValidationError) -> list[Problem]:
    return [Problem(str(e["msg"]).removeprefix("Value error, "), "field " + ".".join(str(p) for p in e["loc"]))
            for e in error.errors()]  # fmt: skip


# -- list and open ------------------------------------------------------------------------


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> HTMLResponse:
    qp = request.query_params
    page = qp.get("page") or "1"
    f = incidents.IncidentFilter(
        ward=qp.get("ward") or None, status=qp.get("status") or None, open_only=qp.get("open") == "true",
        severity=qp.get("severity") or None, category=qp.get("category") or None,
        major={"true": True, "false": False}.get(qp.get("major") or ""), q=qp.get("q") or None,
        page=int(page) if page.isdigit() else 1,
    )  # fmt: skip
    result = incidents.search(session, principal, f)
    query = {k: v for k, v in qp.items() if k != "page" and v}
    template = "csirt/_results.html" if request.headers.get("hx-request") else "csirt/list.html"
    return render(request, caller, template, {
        "result": result, "f": f, "query": query, "can_write": allows(principal, "csirt.incidents.write"),
        **VOCABULARIES,
    })  # fmt: skip


@router.get("/incidents/new", response_class=HTMLResponse)
def new_form(request: Request, caller: CallerDep, principal: UserDep) -> HTMLResponse:
    values = {"wards": [] if principal.is_joint else [principal.tenant], "source": "manual"}
    return render(request, caller, "csirt/new.html", {"v": values, "problems": [], **VOCABULARIES})


def _create_input(form: FormData) -> IncidentCreate:
    alert_ids = [
        a.strip() for a in str(form.get("alert_ids") or "").replace(",", " ").split() if a.strip()
    ]
    try:
        return IncidentCreate.model_validate({
            "title": form.get("title") or None, "description": form.get("description") or "",
            "category": form.get("category") or "", "wards": form.getlist("wards"), "alert_ids": alert_ids,
            "source": form.get("source") or "manual",
            "detected_at": _jst_input(str(form.get("detected_at") or ""), "detected_at"),
            "people_affected": _int(form.get("people_affected"), "people_affected"),
        })  # fmt: skip
    except ValidationError as error:
        raise InvalidInput("the incident cannot be opened", _problems(error)) from None


@router.post("/incidents/new", response_model=None)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, runtime: RuntimeDep
) -> Response:
    form = await request.form()
    try:
        data = _create_input(form)
        with runtime.db.session() as session:
            incident = incidents.create_incident(session, principal, data, runtime.settings,
                                                 alert_source=alert_source(request), now=runtime.clock.now(),
                                                 client=client_address(request))  # fmt: skip
            incident_id = incident.id
    except InvalidInput as error:
        values = {k: form.get(k) for k in form if k != "wards"} | {"wards": form.getlist("wards")}
        return render(request, caller, "csirt/new.html",
                      {"v": values, "problems": error.problems, "message": error.message, **VOCABULARIES}, 422)  # fmt: skip
    send_notifications(runtime)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


# -- one incident -----------------------------------------------------------------------


def _detail(request: Request, caller: Any, session: Session, principal: Principal, incident_id: int, *,
            flash: str | None = None, flash_kind: str = "", status: int = 200) -> HTMLResponse:  # fmt: skip
    incident = incidents.get_incident(session, principal, incident_id)
    wards = incidents.wards_of(session, incident.id)
    entries = timeline.entries(session, incident.id, limit=TIMELINE_SHOWN, newest_first=True)
    action_rows = actions.actions_of(session, incident.id)
    return render(request, caller, "csirt/detail.html", {
        "i": incident, "wards": wards, "d": metrics.durations(incident), "timeline": entries,
        "timeline_full": len(entries) == TIMELINE_SHOWN, "actions": action_rows,
        "tasks": tasks.tasks_of(session, incident.id), "evidence": evidence.evidence_of(session, incident.id),
        "indicators": indicators.listed(session, incident.id), "alert_ids": incidents.alert_ids_of(session, incident.id),
        "can_write": allows(principal, "csirt.incidents.write", wards),
        "can_act": allows(principal, "csirt.actions.request", wards),
        "can_approve": {a.id: allows(principal, "csirt.actions.approve", a.ward)
                        and actions.identity_key(principal) != a.requester_key for a in action_rows},
        "flash": flash, "flash_kind": flash_kind, "now": datetime.now(JST), **VOCABULARIES,
    }, status_code=status)  # fmt: skip


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_detail(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                    session: SessionDep) -> HTMLResponse:  # fmt: skip
    saved = request.query_params.get("saved")
    return _detail(request, caller, session, principal, incident_id, flash=_saved_message(saved))


def _saved_message(key: str | None) -> str | None:
    from rengo.web.i18n import _

    messages = {
        "1": _("Saved."),
        "action": _("Action recorded."),
        "approved": _("Approved and sent."),
    }
    return messages.get(key or "")


async def _post(request: Request, caller: Any, principal: Principal, runtime: Any, incident_id: int,
                work: Any, saved: str = "1") -> Response:  # fmt: skip
    """Run ``work(session, form)`` in a transaction; on a rengo error show the page again."""
    form = await request.form()
    try:
        with runtime.db.session() as session:
            after = work(session, form)
    except (InvalidInput, Conflict, Forbidden) as error:
        message = error.message + "".join(f" — {p}" for p in error.problems)
        with runtime.db.session() as session:
            return _detail(request, caller, session, principal, incident_id, flash=message,
                           flash_kind="error", status=error.status_code)  # fmt: skip
    if callable(after):
        after()
    send_notifications(runtime)
    return RedirectResponse(f"/incidents/{incident_id}?saved={saved}", status_code=303)


@router.post("/incidents/{incident_id}/transition", response_model=None)
async def transition(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                     runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        incidents.transition(session, principal, incident_id, str(form.get("to") or ""),
                             str(form.get("reason") or ""), runtime.settings, now=runtime.clock.now(),
                             client=client_address(request))  # fmt: skip

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.post("/incidents/{incident_id}/edit", response_model=None)
async def edit(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
               runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        values: dict[str, Any] = {
            name: str(form.get(name) or "") for name in ("cause", "report_summary", "lessons")
        }
        values["people_affected"] = _int(form.get("people_affected"), "people_affected")
        values["outage_system"] = str(form.get("outage_system") or "") or None
        for name in ("outage_started_at", "outage_ended_at"):
            values[name] = _jst_input(str(form.get(name) or ""), name)
        try:
            patch = IncidentPatch.model_validate(values)
        except ValidationError as error:
            raise InvalidInput("invalid values", _problems(error)) from None
        incidents.update_incident(session, principal, incident_id, patch, runtime.settings,
                                  now=runtime.clock.now(), client=client_address(request))  # fmt: skip

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.post("/incidents/{incident_id}/notes", response_model=None)
async def add_note(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                   runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        text = str(form.get("text") or "").strip()
        if not text:
            raise InvalidInput("empty note", [Problem("write something", "field text")])
        kind = "message" if form.get("kind") == "message" else "note"
        incidents.add_note(session, principal, incident_id, text, kind, now=runtime.clock.now(),
                           client=client_address(request))  # fmt: skip

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.post("/incidents/{incident_id}/actions", response_model=None)
async def request_action(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                         runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> Any:
        if not str(form.get("target") or "").strip():
            raise InvalidInput("no target", [Problem("say what to act on", "field target")])
        action = actions.request_action(
            session, principal, incident_id, kind=str(form.get("kind") or ""),
            target=str(form.get("target") or ""), reason=str(form.get("reason") or ""),
            ward=str(form.get("ward") or "") or None, connector_id=None, settings=runtime.settings,
            now=runtime.clock.now(), client=client_address(request),
        )  # fmt: skip
        action_id = action.id
        return lambda: actions.run_action(runtime.db, runtime.settings, runtime.clock, action_id)

    return await _post(request, caller, principal, runtime, incident_id, work, saved="action")


@router.post("/incidents/{incident_id}/actions/{action_id}/decide", response_model=None)
async def decide(incident_id: IdPath, action_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                 runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> Any:
        if actions.get_action(session, principal, action_id).incident_id != incident_id:
            raise NotFound("not found")
        approve = form.get("decision") == "approve"
        actions.decide(session, principal, action_id, approve=approve, note=str(form.get("note") or ""),
                       now=runtime.clock.now(), client=client_address(request))  # fmt: skip
        return (
            (lambda: actions.run_action(runtime.db, runtime.settings, runtime.clock, action_id))
            if approve
            else None
        )

    return await _post(request, caller, principal, runtime, incident_id, work, saved="approved")


@router.post("/incidents/{incident_id}/tasks", response_model=None)
async def add_task(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                   runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        title = str(form.get("title") or "").strip()
        if not title:
            raise InvalidInput("no title", [Problem("say what is to be done", "field title")])
        tasks.add_task(session, principal, incident_id, title=title, assignee=str(form.get("assignee") or "") or None,
                       due_at=_jst_input(str(form.get("due_at") or ""), "due_at"), now=runtime.clock.now())  # fmt: skip

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.post("/incidents/{incident_id}/tasks/{task_id}/done", response_model=None)
async def task_done(incident_id: IdPath, task_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                    runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        tasks.complete_task(session, principal, task_id, runtime.clock.now())

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.post("/incidents/{incident_id}/evidence", response_model=None)
async def upload_evidence(incident_id: IdPath, request: Request, caller: CallerDep, principal: UserDep,
                          runtime: RuntimeDep) -> Response:  # fmt: skip
    def work(session: Session, form: FormData) -> None:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput("no file", [Problem("choose a file", "field file")])
        evidence.store(session, principal, incident_id, upload.file, filename=upload.filename or "evidence.bin",
                       content_type=upload.content_type or "application/octet-stream",
                       description=str(form.get("description") or ""), data_dir=runtime.data_dir,
                       max_bytes=runtime.settings.csirt.evidence_max_mb << 20, now=runtime.clock.now(),
                       client=client_address(request))  # fmt: skip

    return await _post(request, caller, principal, runtime, incident_id, work)


@router.get("/incidents/{incident_id}/report.{fmt}", response_model=None)
def report(incident_id: IdPath, fmt: str, request: Request, principal: UserDep, session: SessionDep,
           runtime: RuntimeDep) -> Response:  # fmt: skip
    rendered = reports.incident_report(session, principal, incident_id, fmt, now=runtime.clock.now(),
                                       client=client_address(request))  # fmt: skip
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(rendered.content, media_type=rendered.media_type,
                    headers={"Content-Disposition": f'{disposition}; filename="{rendered.filename}"'})  # fmt: skip


# -- on call and costs -----------------------------------------------------------------


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, caller: CallerDep, principal: UserDep, session: SessionDep,
                runtime: RuntimeDep) -> HTMLResponse:  # fmt: skip
    now = runtime.clock.now()
    rows = [(t, oncall.current_shift(session, t.id, now), oncall.upcoming_shifts(session, t.id, now, 4))
            for t in oncall.teams(session, principal)]  # fmt: skip
    return render(request, caller, "csirt/oncall.html", {
        "teams": rows, "pages": oncall.pages(session, principal, limit=50),
        "flash": _saved_message(request.query_params.get("saved")),
    })  # fmt: skip


@router.post("/oncall/pages/{page_id}/ack", response_model=None)
def ack_in_ui(
    page_id: IdPath, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> Response:
    page = oncall.get_page(session, principal, page_id)
    oncall.acknowledge(session, page, principal.label, runtime.clock.now(), principal)
    return RedirectResponse("/oncall?saved=1", status_code=303)


@router.get("/oncall/ack/{token}", response_class=HTMLResponse)
def ack_link(token: str, request: Request, caller: CallerDep, session: SessionDep) -> HTMLResponse:
    # A GET never acknowledges: mail scanners follow links. The page asks for one click.
    page = oncall.page_by_token(session, token)
    return render(request, caller, "csirt/ack.html", {"page": page, "token": token, "done": False})


@router.post("/oncall/ack/{token}", response_class=HTMLResponse)
def ack_link_confirm(token: str, request: Request, caller: CallerDep, session: SessionDep,
                     runtime: RuntimeDep) -> HTMLResponse:  # fmt: skip
    page = oncall.page_by_token(session, token)
    if page.status == "open":
        oncall.acknowledge(session, page, f"{page.target or 'someone'} (link)", runtime.clock.now())
    return render(request, caller, "csirt/ack.html", {"page": page, "token": token, "done": True})


@router.get("/csirt/costs", response_class=HTMLResponse)
def cost_page(request: Request, caller: CallerDep, principal: UserDep, session: SessionDep,
              runtime: RuntimeDep) -> HTMLResponse:  # fmt: skip
    now = runtime.clock.now()
    year = fiscal_year_start(now).year
    qp_year = request.query_params.get("fiscal_year") or ""
    year = int(qp_year) if qp_year.isdigit() else year
    entries = costs.entries(session, principal, year)
    comparison = costs.compare(session, year, now)
    wards = [
        w for w in comparison.wards.values() if principal.is_joint or w.ward == principal.tenant
    ]
    return render(request, caller, "csirt/costs.html", {
        "year": year, "entries": entries, "comparison": comparison, "ward_rows": wards,
        "target_pct": runtime.settings.policy.security_cost_reduction_pct,
    })  # fmt: skip
