"""Follow-up tasks of exercises over JSON: the open tasks of a ward, mark one done (with a
note), reopen it, and reassign it (owner, due date: the planner)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from rengo.core.types import TenantCode
from rengo.drills import followups
from rengo.drills.followups import MAX_NOTE, Listed
from rengo.web.api.drills import Localised
from rengo.web.deps import Day, IdPath, RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/drills/followups", tags=["drills"])

Owner = Annotated[str, Field(pattern=r"^(joint|\d{6})$", description="A ward code or joint")]


class FollowUpTaskOut(BaseModel):
    id: int
    exercise: str = Field(description="The exercise it came from, EX-<date>-<hex>")
    exercise_title: Localised
    expectation: str
    owner: str = Field(description="The ward code, or joint for the joint centre")
    title: Localised
    due_on: date
    done_at: datetime | None
    done_by: str
    note: str


class DoneIn(BaseModel):
    note: str = Field(min_length=1, max_length=MAX_NOTE, description="What was done")


class ReassignIn(BaseModel):
    owner: Owner | None = None
    due_on: Day | None = None


def task_out(listed: Listed) -> FollowUpTaskOut:
    f, e = listed.followup, listed.exercise
    return FollowUpTaskOut(
        id=f.id,
        exercise=e.public_id,
        exercise_title=Localised(ja=e.title_ja, en=e.title_en),
        expectation=f.expectation_id,
        owner=f.owner,
        title=Localised(ja=f.title_ja, en=f.title_en),
        due_on=f.due_on,
        done_at=f.done_at,
        done_by=f.done_by,
        note=f.done_note,
    )


@router.get("", response_model=list[FollowUpTaskOut], summary="Follow-up tasks (a ward: its own)")
def list_tasks(
    principal: UserDep,
    session: SessionDep,
    ward: Annotated[TenantCode | None, Query(pattern=r"^\d{6}$", description="Ward code")] = None,
    include_done: Annotated[bool, Query(description="Also the closed tasks")] = False,
) -> list[FollowUpTaskOut]:
    found = followups.list_followups(session, principal, ward=ward, open_only=not include_done)
    return [task_out(t) for t in found]


@router.get("/{followup_id}", response_model=FollowUpTaskOut, summary="A follow-up task")
def get_task(followup_id: IdPath, principal: UserDep, session: SessionDep) -> FollowUpTaskOut:
    return task_out(followups.get_followup(session, principal, followup_id))


@router.post(
    "/{followup_id}/done", response_model=FollowUpTaskOut, summary="Mark a follow-up task done"
)
def done(
    followup_id: IdPath,
    body: DoneIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FollowUpTaskOut:
    followups.mark_done(
        session,
        principal,
        followup_id,
        body.note,
        runtime.clock.now(),
        client=client_address(request),
    )
    return task_out(followups.get_followup(session, principal, followup_id))


@router.post(
    "/{followup_id}/reopen", response_model=FollowUpTaskOut, summary="Reopen a follow-up task"
)
def reopen(
    followup_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FollowUpTaskOut:
    followups.reopen(
        session, principal, followup_id, runtime.clock.now(), client=client_address(request)
    )
    return task_out(followups.get_followup(session, principal, followup_id))


@router.patch(
    "/{followup_id}",
    response_model=FollowUpTaskOut,
    summary="Reassign a follow-up task (owner, due date; the planner)",
)
def reassign(
    followup_id: IdPath,
    body: ReassignIn,
    request: Request,
    principal: UserDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> FollowUpTaskOut:
    followups.reassign(
        session,
        principal,
        followup_id,
        runtime.clock.now(),
        owner=body.owner,
        due_on=body.due_on,
        client=client_address(request),
    )
    return task_out(followups.get_followup(session, principal, followup_id))
