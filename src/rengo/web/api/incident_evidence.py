"""Tasks and evidence files of an incident over JSON: add and complete tasks; upload,
download (audited), custody and verification of evidence."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from rengo.core.errors import InvalidInput, Problem
from rengo.csirt import evidence, incidents, tasks
from rengo.csirt.models import Evidence
from rengo.csirt.schemas import CustodyOut, EvidenceOut, TaskIn, TaskOut
from rengo.csirt.settings import CsirtSettings
from rengo.web.deps import IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


# -- tasks and evidence ---------------------------------------------------------------


@router.get("/{incident_id}/tasks", response_model=list[TaskOut], summary="Tasks")
def list_tasks(incident_id: IdPath, principal: UserDep, session: SessionDep) -> list[TaskOut]:
    incident = incidents.get_incident(session, principal, incident_id)
    return [TaskOut.model_validate(t) for t in tasks.tasks_of(session, incident.id)]


@router.post("/{incident_id}/tasks", response_model=TaskOut, status_code=201, summary="Add a task")
def add_task(
    incident_id: IdPath, body: TaskIn, principal: UserDep, session: SessionDep, runtime: RuntimeDep
) -> TaskOut:
    task = tasks.add_task(
        session,
        principal,
        incident_id,
        title=body.title,
        assignee=body.assignee,
        due_at=body.due_at,
        now=runtime.clock.now(),
    )
    return TaskOut.model_validate(task)


@router.post(
    "/{incident_id}/tasks/{task_id}/done", response_model=TaskOut, summary="Mark a task done"
)
def task_done(
    incident_id: IdPath,
    task_id: IdPath,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> TaskOut:
    task = tasks.complete_task(session, principal, task_id, runtime.clock.now())
    if task.incident_id != incident_id:
        raise InvalidInput("wrong incident", [Problem(str(incident_id), "path incident_id")])
    return TaskOut.model_validate(task)


@router.get("/{incident_id}/evidence", response_model=list[EvidenceOut], summary="Evidence files")
def list_evidence(
    incident_id: IdPath, principal: UserDep, session: SessionDep
) -> list[EvidenceOut]:
    incident = incidents.get_incident(session, principal, incident_id)
    return [EvidenceOut.model_validate(e) for e in evidence.evidence_of(session, incident.id)]


@router.post(
    "/{incident_id}/evidence",
    response_model=EvidenceOut,
    status_code=201,
    summary="Upload an evidence file (multipart field `file`; hashed with SHA-256, custody starts)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_evidence(
    incident_id: IdPath,
    request: Request,
    principal: UserDep,
    runtime: RuntimeDep,
    description: str = "",
) -> EvidenceOut:
    def check() -> None:
        with runtime.db.session() as session:
            incidents.get_incident(session, principal, incident_id, "csirt.incidents.write")

    # Who may write is decided before the upload is read.
    await run_in_threadpool(check)
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput(
            "no file", [Problem("send the file as multipart field 'file'", "body file")]
        )

    def store() -> EvidenceOut:
        with runtime.db.session() as session:
            item = evidence.store(
                session,
                principal,
                incident_id,
                upload.file,
                filename=upload.filename or "evidence.bin",
                content_type=upload.content_type or "application/octet-stream",
                description=description,
                data_dir=runtime.data_dir,
                max_bytes=runtime.settings.section(CsirtSettings).evidence_max_mb << 20,
                now=runtime.clock.now(),
                client=client_address(request),
            )
            return EvidenceOut.model_validate(item)

    return await run_in_threadpool(store)


def _evidence_of_incident(item: Evidence, incident_id: int) -> None:
    if item.incident_id != incident_id:
        raise InvalidInput("wrong incident", [Problem(str(incident_id), "path incident_id")])


@router.get(
    "/{incident_id}/evidence/{evidence_id}",
    summary="Download an evidence file (audited)",
    response_class=StreamingResponse,
)
def download_evidence(
    incident_id: IdPath,
    evidence_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> StreamingResponse:
    item, path = evidence.open_for_download(
        session,
        principal,
        evidence_id,
        data_dir=runtime.data_dir,
        now=runtime.clock.now(),
        client=client_address(request),
    )
    _evidence_of_incident(item, incident_id)
    return StreamingResponse(
        evidence.chunks(path),
        media_type=item.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{item.filename}"',
            "X-SHA256": item.sha256,
        },
    )


@router.get(
    "/{incident_id}/evidence/{evidence_id}/custody",
    response_model=list[CustodyOut],
    summary="Chain of custody of an evidence file",
)
def custody(
    incident_id: IdPath, evidence_id: IdPath, principal: UserDep, session: SessionDep
) -> list[CustodyOut]:
    item = evidence.get_evidence(session, principal, evidence_id)
    _evidence_of_incident(item, incident_id)
    return [CustodyOut.model_validate(c) for c in evidence.custody_of(session, item.id)]


class VerifyOut(BaseModel):
    intact: bool


@router.post(
    "/{incident_id}/evidence/{evidence_id}/verify",
    response_model=VerifyOut,
    summary="Re-hash the stored file and record the check in the chain of custody",
)
def verify_evidence(
    incident_id: IdPath,
    evidence_id: IdPath,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> VerifyOut:
    item = evidence.get_evidence(session, principal, evidence_id)
    _evidence_of_incident(item, incident_id)
    return VerifyOut(
        intact=evidence.verify(
            session, principal, evidence_id, data_dir=runtime.data_dir, now=runtime.clock.now()
        )
    )
