"""The yearly open-data contest on the portal: the editions and their call, the entry form
(anyone, no login, the same anti-abuse as reuse submissions), the judges' scoring page (each
judge sees only their own scores until the joint centre closes the judging), the results
and winners, and each entry's page with the follow-up support toward a real service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rengo.core.clock import JST
from rengo.core.errors import InvalidInput, Problem, problems_from_validation
from rengo.core.permissions import allows, require
from rengo.core.runtime import Runtime
from rengo.opendata import community
from rengo.opendata.models import Contest
from rengo.web.deps import CallerDep, IdPath, RuntimeDep, SessionDep, UserDep
from rengo.web.i18n import N_
from rengo.web.nav import NavItem
from rengo.web.pages.opendata_reuses import admit_submission, names
from rengo.web.templating import render

router = APIRouter(include_in_schema=False)
NAV = [NavItem("m3", N_("Open-data contest"), "/opendata/contests", "opendata.read", order=16)]
CRITERIA = {
    "impact": N_("Social impact"),
    "feasibility": N_("Feasibility"),
    "data_use": N_("Use of the data"),
    "creativity": N_("Creativity"),
}
"""Labels of the usual criteria; an edition may name others (shown as written)."""
ENTRY_FIELDS = ("team", "idea", "datasets", "demo_url")
CONTEST_FIELDS = ("fiscal_year", "title", "call", "opens_on", "closes_on", "criteria")


def _today(runtime: Runtime) -> date:
    today: date = runtime.clock.now().astimezone(JST).date()
    return today


def _criteria(text: str) -> dict[str, float]:
    """``impact=2`` lines (or comma-separated) as criterion → weight."""
    out: dict[str, float] = {}
    for part in names(text):
        key, _sep, weight = part.partition("=")
        try:
            out[key.strip()] = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise InvalidInput(
                "a criterion is name=weight",
                [Problem("{value!r} is not name=weight", "field criteria", values={"value": part})],
            ) from None
    return out


def _call_page(
    request: Request,
    caller: Any,
    contest: Contest,
    runtime: Runtime,
    session: Session,
    values: dict[str, str],
    problems: list[Problem],
    status: int = 200,
) -> HTMLResponse:
    today = _today(runtime)
    context = {
        "c": contest,
        "open": contest.opens_on <= today <= contest.closes_on,
        "entries": community.entries_of(session, contest.id),
        "criteria": CRITERIA,
        "values": values,
        "problems": problems,
        "results": community.results_visible(caller.principal, contest),
        "judge": allows(caller.principal, "opendata.contest.judge"),
        "curator": allows(caller.principal, "opendata.curate"),
    }
    return render(request, caller, "opendata/contest.html", context, status_code=status)


@router.get("/opendata/contests", response_class=HTMLResponse)
def editions(request: Request, caller: CallerDep, session: SessionDep) -> HTMLResponse:
    require(caller.principal, "opendata.read")
    context = {
        "contests": community.contests(session),
        "curator": allows(caller.principal, "opendata.curate"),
        "values": {},
        "problems": [],
    }
    return render(request, caller, "opendata/contests.html", context)


@router.post("/opendata/contests", response_class=HTMLResponse)
async def create(
    request: Request, caller: CallerDep, principal: UserDep, session: SessionDep
) -> Response:
    require(principal, "opendata.curate")
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in CONTEST_FIELDS}
    try:
        data = community.ContestIn.model_validate(
            {**values, "criteria": _criteria(values["criteria"])}
        )
        contest = community.create_contest(session, principal, data)
    except ValidationError as error:
        problems = problems_from_validation(error)
    except InvalidInput as error:
        problems = error.problems
    else:
        return RedirectResponse(f"/opendata/contests/{contest.id}", status_code=303)
    session.rollback()
    context = {
        "contests": community.contests(session),
        "curator": True,
        "values": values,
        "problems": problems,
    }
    return render(request, caller, "opendata/contests.html", context, status_code=422)


@router.get("/opendata/contests/{contest_id}", response_class=HTMLResponse)
def call(
    contest_id: IdPath,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    require(caller.principal, "opendata.read")
    contest = community.find_contest(session, contest_id)
    return _call_page(request, caller, contest, runtime, session, {}, [])


@router.post("/opendata/contests/{contest_id}/entries", response_class=HTMLResponse)
async def enter(
    contest_id: IdPath,
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    contest = community.find_contest(session, contest_id)
    form = await request.form()
    values = {k: str(form.get(k) or "") for k in ENTRY_FIELDS}
    done = RedirectResponse(f"/opendata/contests/{contest_id}?entered=1", status_code=303)
    if not admit_submission(request, form, runtime):
        return done
    try:
        data = community.EntryIn.model_validate({**values, "datasets": names(values["datasets"])})
        community.enter(session, caller.principal, contest_id, data, _today(runtime))
    except ValidationError as error:
        problems = problems_from_validation(error)
    except InvalidInput as error:
        problems = error.problems
    else:
        return done
    session.rollback()
    return _call_page(request, caller, contest, runtime, session, values, problems, 422)


@router.get("/opendata/contests/{contest_id}/judging", response_class=HTMLResponse)
def judging(
    contest_id: IdPath,
    request: Request,
    caller: CallerDep,
    principal: UserDep,
    session: SessionDep,
) -> HTMLResponse:
    require(principal, "opendata.contest.judge")
    contest = community.find_contest(session, contest_id)
    context = {
        "c": contest,
        "entries": community.entries_of(session, contest_id),
        "mine": community.own_scores(session, principal, contest_id),
        "criteria": CRITERIA,
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, caller, "opendata/judging.html", context)


@router.post("/opendata/contests/{contest_id}/judging/{entry_id}")
async def score(
    contest_id: IdPath,
    entry_id: IdPath,
    request: Request,
    principal: UserDep,
    session: SessionDep,
) -> RedirectResponse:
    entry = community.find_entry(session, entry_id)
    contest = community.find_contest(session, contest_id)
    if entry.contest_id != contest.id:
        raise InvalidInput("entry is not of this contest", [Problem("", "entry")])
    form = await request.form()
    scores: dict[str, int] = {}
    for criterion in contest.criteria:
        raw = str(form.get(f"score-{criterion}") or "")
        scores[criterion] = int(raw) if raw.isdigit() else 0
    community.score(session, principal, entry_id, scores)
    return RedirectResponse(
        f"/opendata/contests/{contest_id}/judging?saved={entry_id}", status_code=303
    )


@router.post("/opendata/contests/{contest_id}/close")
def close(contest_id: IdPath, principal: UserDep, session: SessionDep) -> RedirectResponse:
    community.close_judging(session, principal, contest_id)
    return RedirectResponse(f"/opendata/contests/{contest_id}/results", status_code=303)


@router.get("/opendata/contests/{contest_id}/results", response_class=HTMLResponse)
def results(
    contest_id: IdPath, request: Request, caller: CallerDep, session: SessionDep
) -> HTMLResponse:
    contest = community.find_contest(session, contest_id)
    context = {
        "c": contest,
        "ranked": community.visible_ranking(session, caller.principal, contest_id),
        "curator": allows(caller.principal, "opendata.curate"),
    }
    return render(request, caller, "opendata/results.html", context)


@router.get("/opendata/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(
    entry_id: IdPath, request: Request, caller: CallerDep, session: SessionDep
) -> HTMLResponse:
    require(caller.principal, "opendata.read")
    entry = community.find_entry(session, entry_id)
    context = {
        "e": entry,
        "c": community.find_contest(session, entry.contest_id),
        "curator": allows(caller.principal, "opendata.curate"),
    }
    return render(request, caller, "opendata/entry.html", context)


@router.post("/opendata/entries/{entry_id}/award")
def award(
    entry_id: IdPath,
    prize: Annotated[str, Form(min_length=1, max_length=100)],
    principal: UserDep,
    session: SessionDep,
) -> RedirectResponse:
    community.award(session, principal, entry_id, prize)
    return RedirectResponse(f"/opendata/entries/{entry_id}", status_code=303)


@router.post("/opendata/entries/{entry_id}/support")
def support(
    entry_id: IdPath,
    note: Annotated[str, Form(min_length=1, max_length=2000)],
    on: Annotated[date, Form()],
    principal: UserDep,
    session: SessionDep,
) -> RedirectResponse:
    community.support(session, principal, entry_id, note, on)
    return RedirectResponse(f"/opendata/entries/{entry_id}", status_code=303)


@router.post("/opendata/entries/{entry_id}/launch")
def launch(
    entry_id: IdPath,
    url: Annotated[str, Form(pattern=r"^https?://\S+$", max_length=1000)],
    on: Annotated[date, Form()],
    principal: UserDep,
    session: SessionDep,
) -> RedirectResponse:
    reuse = community.launch(session, principal, entry_id, url, on)
    return RedirectResponse(f"/opendata/reuses/{reuse.id}", status_code=303)
