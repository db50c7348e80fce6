"""EBPM over JSON, the training reminders: the HR roster, reminders sent now, and the
record of who was reminded when (``rengo.ebpm.roster``, ``rengo.ebpm.reminders``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rengo.core.types import TenantCode
from rengo.ebpm import reminders, roster
from rengo.ebpm.training import ImportResult
from rengo.web.api.ebpm_evidence import ImportOut
from rengo.web.deps import RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/ebpm", tags=["ebpm"])


class RemindIn(BaseModel):
    ward: TenantCode | None = Field(
        None, description="Ward code (the joint centre: one ward, or every ward when empty)"
    )


class ReminderRunOut(BaseModel):
    sent: int = Field(description="Reminders queued now (e-mail through the delivery log)")
    recently_reminded: int = Field(description="Not completed, reminded within the interval")
    without_email: int = Field(description="Not completed, no e-mail address in the roster")


class ReminderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ward: str = Field(validation_alias="tenant")
    staff_id: str
    email: str
    trigger: Literal["scheduled", "manual"]
    actor: str
    sent_at: datetime
    delivery_id: int | None


@router.post(
    "/trainings/roster/import",
    response_model=ImportOut,
    summary="Import the staff roster (職員番号, 区, 所属, 氏名, メール): whom reminders reach",
)
async def import_roster(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> ImportOut:
    data = await file.read()
    filename = file.filename or "roster.csv"

    def work() -> ImportResult:
        with runtime.db.session() as session:
            return roster.import_roster(
                session,
                principal,
                data,
                runtime.clock,
                filename=filename,
                client=client_address(request),
            )

    result = await run_in_threadpool(work)
    return ImportOut(created=result.created, updated=result.updated)


@router.post(
    "/trainings/reminders",
    response_model=ReminderRunOut,
    summary="Remind staff who have not completed the required course, now (HR staff)",
)
def remind(
    body: RemindIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> ReminderRunOut:
    run = reminders.remind_now(
        session,
        principal,
        runtime.settings,
        runtime.clock.now(),
        body.ward,
        client=client_address(request),
    )
    return ReminderRunOut(
        sent=run.sent, recently_reminded=run.recently_reminded, without_email=run.without_email
    )


@router.get(
    "/trainings/reminders",
    response_model=list[ReminderOut],
    summary="Who was reminded when (newest first)",
)
def list_reminders(
    principal: UserDep,
    session: SessionDep,
    ward: Annotated[TenantCode | None, Query(description="Ward code")] = None,
) -> list[ReminderOut]:
    return [ReminderOut.model_validate(r) for r in reminders.recent(session, principal, ward)]
