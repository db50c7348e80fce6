"""Reuses and the yearly contest over HTTP (open data, measure 3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from rengo.core.clock import to_jst
from rengo.opendata import community
from rengo.web.deps import IdPath, PrincipalDep, RuntimeDep, SessionDep, UserDep

router = APIRouter(prefix="/api/v1/opendata", tags=["opendata"])


class Moderation(BaseModel):
    publish: bool = Field(description="true publishes the reuse, false rejects it")


class Award(BaseModel):
    prize: str = Field(min_length=1, max_length=100)


class Support(BaseModel):
    note: str = Field(min_length=1, max_length=2000)
    on: date


class Launch(BaseModel):
    url: str = Field(pattern=r"^https?://\S+$", max_length=1000)
    on: date


@router.get("/reuses", summary="Published reuses (apps, APIs, visualisations, ideas, articles)")
def reuses(session: SessionDep) -> list[dict[str, Any]]:
    return [community.as_dict(r) for r in community.published_reuses(session)]


@router.post("/reuses", status_code=201, summary="Tell the portal about a reuse (moderated)")
def submit(data: community.ReuseIn, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return community.as_dict(community.submit_reuse(session, principal, data))


@router.post("/reuses/{reuse_id}/moderation", summary="Publish or reject a reuse (joint centre)")
def moderate(
    reuse_id: IdPath, data: Moderation, principal: UserDep, session: SessionDep
) -> dict[str, Any]:
    return community.as_dict(community.moderate(session, principal, reuse_id, data.publish))


@router.post("/contests", status_code=201, summary="Open a contest edition (joint centre)")
def create_contest(
    data: community.ContestIn, principal: UserDep, session: SessionDep
) -> dict[str, Any]:
    return community.as_dict(community.create_contest(session, principal, data))


@router.post("/contests/{contest_id}/entries", status_code=201, summary="Enter the contest")
def enter(
    contest_id: IdPath,
    data: community.EntryIn,
    principal: PrincipalDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    today = to_jst(runtime.clock.now()).date()
    return community.as_dict(community.enter(session, principal, contest_id, data, today))


@router.post("/contests/{contest_id}/close", summary="Close the judging (joint centre)")
def close(contest_id: IdPath, principal: UserDep, session: SessionDep) -> dict[str, Any]:
    return community.as_dict(community.close_judging(session, principal, contest_id))


@router.get(
    "/contests/{contest_id}/ranking",
    summary="Entries by weighted mean score (once judging is closed; the joint centre before)",
)
def ranking(
    contest_id: IdPath, principal: PrincipalDep, session: SessionDep
) -> list[dict[str, Any]]:
    return [
        {**community.as_dict(r.entry), "score": r.total, "judges": r.judges}
        for r in community.visible_ranking(session, principal, contest_id)
    ]


@router.put("/entries/{entry_id}/scores", summary="A judge's scores (1-5) by criterion")
def score(
    entry_id: IdPath,
    scores: Annotated[dict[str, int], Body(examples=[{"impact": 4, "feasibility": 3}])],
    principal: UserDep,
    session: SessionDep,
) -> dict[str, int]:
    rows = community.score(session, principal, entry_id, scores)
    return {r.criterion: r.score for r in rows}


@router.post("/entries/{entry_id}/award", summary="Name a winner (joint centre)")
def award(entry_id: IdPath, data: Award, principal: UserDep, session: SessionDep) -> dict[str, Any]:
    return community.as_dict(community.award(session, principal, entry_id, data.prize))


@router.post("/entries/{entry_id}/support", summary="Record follow-up support (joint centre)")
def support(
    entry_id: IdPath, data: Support, principal: UserDep, session: SessionDep
) -> dict[str, Any]:
    return community.as_dict(community.support(session, principal, entry_id, data.note, data.on))


@router.post("/entries/{entry_id}/launch", summary="The entry went live as a service")
def launch(
    entry_id: IdPath, data: Launch, principal: UserDep, session: SessionDep
) -> dict[str, Any]:
    return community.as_dict(community.launch(session, principal, entry_id, data.url, data.on))
