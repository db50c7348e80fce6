"""What is done on one incident's page: the life cycle, its fields, notes and messages,
containment actions (request, approve, retry, confirm by hand), merge and split, tasks and
evidence. Each form posts here, runs one domain call in a transaction and goes back to the
incident (``csirt.py``), which shows a refusal next to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from rengo.csirt import actions, changes, evidence, merge, tasks
from rengo.csirt.schemas import IncidentPatch
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.vocabulary import REPORT_RECIPIENTS
from rengo.web.api.incidents import send_notifications
from rengo.web.api.oncall import wake_worker
from rengo.web.deps import FormPost, FormPostDep, IdPath
from rengo.web.errors import error_message, problem_text
from rengo.web.i18n import N_
from rengo.web.pages.csirt import detail_page
from rengo.web.pages.csirt_forms import int_or_none, jst_input, problems_of

router = APIRouter(include_in_schema=False)
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
            return detail_page(
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
async def transition(incident_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        changes.transition(
            post.acting(session),
            incident_id,
            str(form.get("to") or ""),
            str(form.get("reason") or ""),
        )

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/edit", response_model=None)
async def edit(incident_id: IdPath, post: FormPostDep) -> Response:
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
        changes.update_incident(post.acting(session), incident_id, patch)

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/notes", response_model=None)
async def add_note(incident_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        text = str(form.get("text") or "").strip()
        if not text:
            raise InvalidInput("empty note", [Problem("write something", "field text")])
        chosen = str(form.get("kind") or "note")
        to = [chosen] if chosen in REPORT_RECIPIENTS else []
        kind = "message" if chosen == "message" or to else "note"
        changes.add_note(post.acting(session), incident_id, text, kind, to=to)

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/actions", response_model=None)
async def request_action(incident_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        if not str(form.get("target") or "").strip():
            raise InvalidInput("no target", [Problem("say what to act on", "field target")])
        actions.request_action(
            post.acting(session),
            incident_id,
            kind=str(form.get("kind") or ""),
            target=str(form.get("target") or ""),
            reason=str(form.get("reason") or ""),
            ward=str(form.get("ward") or "") or None,
            connector_id=None,
        )

    return await _post(post, incident_id, work, saved="action")


async def _on_action(
    post: FormPost,
    incident_id: int,
    action_id: int,
    step: Callable[[Session, FormData], object],
    saved: str = "1",
) -> Response:
    """``step`` on one of the incident's actions (404 for an action of another incident)."""

    def work(session: Session, form: FormData) -> None:
        actions.action_of_incident(session, post.principal, incident_id, action_id)
        step(session, form)

    return await _post(post, incident_id, work, saved)


@router.post("/incidents/{incident_id}/actions/{action_id}/decide", response_model=None)
async def decide(incident_id: IdPath, action_id: IdPath, post: FormPostDep) -> Response:
    def step(session: Session, form: FormData) -> None:
        actions.decide(
            post.acting(session),
            action_id,
            approve=form.get("decision") == "approve",
            note=str(form.get("note") or ""),
        )

    return await _on_action(post, incident_id, action_id, step, saved="approved")


@router.post("/incidents/{incident_id}/actions/{action_id}/retry", response_model=None)
async def retry_action(incident_id: IdPath, action_id: IdPath, post: FormPostDep) -> Response:
    def step(session: Session, form: FormData) -> None:
        actions.retry(post.acting(session), action_id)

    return await _on_action(post, incident_id, action_id, step, saved="action")


@router.post("/incidents/{incident_id}/actions/{action_id}/confirm", response_model=None)
async def confirm_action(incident_id: IdPath, action_id: IdPath, post: FormPostDep) -> Response:
    def step(session: Session, form: FormData) -> None:
        actions.confirm_by_hand(
            post.acting(session),
            action_id,
            succeeded=form.get("outcome") == "done",
            note=str(form.get("note") or ""),
        )

    return await _on_action(post, incident_id, action_id, step)


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
async def merge_into(incident_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        merge.merge(
            post.acting(session),
            incident_id,
            _incident_ids(str(form.get("incident_ids") or "")),
            reason=_reason(form),
        )

    return await _post(post, incident_id, work, saved="merged")


@router.post("/incidents/{incident_id}/split", response_model=None)
async def split_off(incident_id: IdPath, post: FormPostDep) -> Response:
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
            post.acting(session), incident_id, chosen, title=title[:200], reason=_reason(form)
        )
        return new.id

    return await _post(post, incident_id, work)


def _reason(form: FormData) -> str:
    reason = str(form.get("reason") or "").strip()
    if not reason:
        raise InvalidInput("say why", [Problem("a reason is required", "field reason")])
    return reason


@router.post("/incidents/{incident_id}/tasks", response_model=None)
async def add_task(incident_id: IdPath, post: FormPostDep) -> Response:
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
async def task_done(incident_id: IdPath, task_id: IdPath, post: FormPostDep) -> Response:
    def work(session: Session, form: FormData) -> None:
        tasks.complete_task(session, post.principal, task_id, post.runtime.clock.now())

    return await _post(post, incident_id, work)


@router.post("/incidents/{incident_id}/evidence", response_model=None)
async def upload_evidence(incident_id: IdPath, post: FormPostDep) -> Response:
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
