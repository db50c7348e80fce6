"""Reuses and the yearly contest: what people build on the data, and how the joint centre
finds, judges and supports it. The apps KPI counts new services from these records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import utcnow
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, allows, require
from rengo.opendata.models import Contest, Entry, Reuse, Score

ReuseType = Literal["application", "api", "visualisation", "idea", "article"]
Evidence = Literal["submission", "contest", "press", "interview"]


class ReuseIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    type: ReuseType
    description: str = Field("", max_length=5000)
    url: str = Field("", max_length=1000, pattern=r"^$|^https?://\S+$")
    author: str = Field(min_length=1, max_length=200)
    datasets: list[str] = Field(default_factory=list, max_length=100)
    new_service: bool = Field(False, description="A new private service or app now running.")
    launched_on: date | None = None
    evidence: Evidence = "submission"
    evidence_note: str = Field("", max_length=2000)


class ContestIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    fiscal_year: int = Field(ge=2000, le=2200)
    title: str = Field(min_length=1, max_length=200)
    call: str = Field("", max_length=10_000)
    opens_on: date
    closes_on: date
    criteria: dict[str, float] = Field(min_length=1, description="criterion → weight")


class EntryIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    team: str = Field(min_length=1, max_length=200)
    idea: str = Field(min_length=1, max_length=10_000)
    datasets: list[str] = Field(default_factory=list, max_length=100)
    demo_url: str = Field("", max_length=1000, pattern=r"^$|^https?://\S+$")


def _audit(session: Session, principal: Principal, action: str, kind: str, ref: int) -> None:
    audit.record(session, principal, f"opendata.{action}", object_type=kind, object_id=ref)


def submit_reuse(session: Session, principal: Principal, data: ReuseIn) -> Reuse:
    require(principal, "opendata.reuse.submit")
    reuse = Reuse(**data.model_dump(), status="pending", submitted_at=utcnow())
    session.add(reuse)
    session.flush()
    _audit(session, principal, "reuse.submit", "opendata_reuse", reuse.id)
    return reuse


def moderate(session: Session, principal: Principal, reuse_id: int, publish: bool) -> Reuse:
    require(principal, "opendata.curate")
    reuse = session.get(Reuse, reuse_id)
    if reuse is None:
        raise NotFound("reuse {id} not found", values={"id": reuse_id})
    reuse.status = "published" if publish else "rejected"
    reuse.moderated_at = utcnow()
    reuse.moderated_by = principal.label
    _audit(session, principal, f"reuse.{reuse.status}", "opendata_reuse", reuse.id)
    return reuse


def published_reuses(session: Session) -> list[Reuse]:
    query = select(Reuse).where(Reuse.status == "published")
    return list(session.scalars(query.order_by(Reuse.submitted_at.desc())))


def pending_reuses(session: Session, principal: Principal) -> list[Reuse]:
    """The moderation queue, oldest first (joint centre)."""
    require(principal, "opendata.curate")
    query = select(Reuse).where(Reuse.status == "pending")
    return list(session.scalars(query.order_by(Reuse.submitted_at, Reuse.id)))


def find_reuse(session: Session, principal: Principal, reuse_id: int) -> Reuse:
    """A published reuse; pending and rejected ones only for the joint centre."""
    reuse = session.get(Reuse, reuse_id)
    if reuse is None or (reuse.status != "published" and not allows(principal, "opendata.curate")):
        raise NotFound("reuse {id} not found", values={"id": reuse_id})
    return reuse


def create_contest(session: Session, principal: Principal, data: ContestIn) -> Contest:
    require(principal, "opendata.curate")
    if data.closes_on < data.opens_on:
        raise InvalidInput("the call closes before it opens", [Problem("", "field closes_on")])
    if session.scalar(select(Contest.id).where(Contest.fiscal_year == data.fiscal_year)):
        raise Conflict("fiscal year {year} has its contest", values={"year": data.fiscal_year})
    contest = Contest(**data.model_dump(), created_at=utcnow())
    session.add(contest)
    session.flush()
    _audit(session, principal, "contest.create", "opendata_contest", contest.id)
    return contest


def contests(session: Session) -> list[Contest]:
    return list(session.scalars(select(Contest).order_by(Contest.fiscal_year.desc())))


def find_contest(session: Session, contest_id: int) -> Contest:
    return _contest(session, contest_id)


def find_entry(session: Session, entry_id: int) -> Entry:
    return _entry(session, entry_id)


def entries_of(session: Session, contest_id: int) -> list[Entry]:
    query = select(Entry).where(Entry.contest_id == contest_id).order_by(Entry.id)
    return list(session.scalars(query))


def own_scores(
    session: Session, principal: Principal, contest_id: int
) -> dict[int, dict[str, int]]:
    """Entry → criterion → score, of this judge only: a judge does not see the others'."""
    require(principal, "opendata.contest.judge")
    query = (
        select(Score)
        .join(Entry, Entry.id == Score.entry_id)
        .where(Entry.contest_id == contest_id, Score.judge == principal.label)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in session.scalars(query):
        out[row.entry_id][row.criterion] = row.score
    return dict(out)


def close_judging(session: Session, principal: Principal, contest_id: int) -> Contest:
    """End the judging: scores are final and the ranking is shown."""
    require(principal, "opendata.curate")
    contest = _contest(session, contest_id)
    if contest.judging_closed_at is None:
        contest.judging_closed_at = utcnow()
        _audit(session, principal, "contest.close", "opendata_contest", contest.id)
    return contest


def _contest(session: Session, contest_id: int) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None:
        raise NotFound("contest {id} not found", values={"id": contest_id})
    return contest


def _entry(session: Session, entry_id: int) -> Entry:
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("entry {id} not found", values={"id": entry_id})
    return entry


def enter(
    session: Session, principal: Principal, contest_id: int, data: EntryIn, today: date
) -> Entry:
    require(principal, "opendata.contest.enter")
    contest = _contest(session, contest_id)
    if not contest.opens_on <= today <= contest.closes_on:
        raise InvalidInput(
            "the call is open from {opens} to {closes}",
            [Problem("closed", "contest")],
            values={"opens": contest.opens_on, "closes": contest.closes_on},
        )
    entry = Entry(contest_id=contest.id, **data.model_dump(), submitted_at=utcnow())
    session.add(entry)
    session.flush()
    _audit(session, principal, "contest.enter", "opendata_entry", entry.id)
    return entry


def score(
    session: Session, principal: Principal, entry_id: int, scores: dict[str, int]
) -> list[Score]:
    """A judge's scores (1-5) for an entry, one per criterion; scoring again replaces them."""
    require(principal, "opendata.contest.judge")
    entry = _entry(session, entry_id)
    contest = _contest(session, entry.contest_id)
    if contest.judging_closed_at is not None:
        raise Conflict("judging of this contest is closed")
    criteria = contest.criteria
    problems = [
        Problem("not a criterion of this contest", f"field {k}")
        for k in scores
        if k not in criteria
    ]
    problems += [
        Problem("a score is 1-5", f"field {k}") for k, v in scores.items() if not 1 <= v <= 5
    ]
    problems += [Problem("missing", f"field {k}") for k in criteria if k not in scores]
    if problems:
        raise InvalidInput("invalid scores", problems)
    judge = principal.label
    existing = {
        s.criterion: s
        for s in session.scalars(
            select(Score).where(Score.entry_id == entry_id, Score.judge == judge)
        )
    }
    out = []
    for criterion, value in scores.items():
        row = existing.get(criterion) or Score(entry_id=entry_id, judge=judge, criterion=criterion)
        row.score, row.at = value, utcnow()
        session.add(row)
        out.append(row)
    _audit(session, principal, "contest.score", "opendata_entry", entry_id)
    return out


@dataclass(frozen=True, slots=True)
class Ranked:
    entry: Entry
    total: float
    """Weighted mean over criteria of the judges' mean score (1-5)."""
    judges: int


def results_visible(principal: Principal, contest: Contest) -> bool:
    """The ranking is shown once judging is closed; before that only to the joint centre."""
    return contest.judging_closed_at is not None or allows(principal, "opendata.curate")


def visible_ranking(session: Session, principal: Principal, contest_id: int) -> list[Ranked]:
    if not results_visible(principal, _contest(session, contest_id)):
        raise Conflict("the ranking is shown once judging is closed")
    return ranking(session, contest_id)


def ranking(session: Session, contest_id: int) -> list[Ranked]:
    contest = _contest(session, contest_id)
    weights = contest.criteria
    entries = list(session.scalars(select(Entry).where(Entry.contest_id == contest_id)))
    by_entry: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    judges: dict[int, set[str]] = defaultdict(set)
    ids = [e.id for e in entries]
    for row in session.scalars(select(Score).where(Score.entry_id.in_(ids))) if ids else []:
        by_entry[row.entry_id][row.criterion].append(row.score)
        judges[row.entry_id].add(row.judge)
    out = []
    for entry in entries:
        found = by_entry[entry.id]
        total_weight = sum(weights.values()) or 1
        total = sum(weights[c] * (sum(found[c]) / len(found[c])) for c in weights if found.get(c))
        out.append(Ranked(entry, round(total / total_weight, 2), len(judges[entry.id])))
    return sorted(out, key=lambda r: (-r.total, r.entry.id))


def award(session: Session, principal: Principal, entry_id: int, prize: str) -> Entry:
    require(principal, "opendata.curate")
    entry = _entry(session, entry_id)
    entry.award = prize
    _audit(session, principal, "contest.award", "opendata_entry", entry.id)
    return entry


def support(session: Session, principal: Principal, entry_id: int, note: str, on: date) -> Entry:
    """Record follow-up support toward a real service (mentoring, data, a pilot …)."""
    require(principal, "opendata.curate")
    entry = _entry(session, entry_id)
    entry.support = [*entry.support, {"on": on.isoformat(), "note": note}]
    _audit(session, principal, "contest.support", "opendata_entry", entry.id)
    return entry


def launch(session: Session, principal: Principal, entry_id: int, url: str, on: date) -> Reuse:
    """The entry now runs as a service: recorded as a published reuse, evidence = contest."""
    require(principal, "opendata.curate")
    entry = _entry(session, entry_id)
    if entry.reuse_id is not None:
        raise Conflict("entry {id} is already live", values={"id": entry_id})
    contest = _contest(session, entry.contest_id)
    reuse = Reuse(
        title=entry.idea[:200],
        type="application",
        description=entry.idea,
        url=url,
        author=entry.team,
        datasets=entry.datasets,
        status="published",
        new_service=True,
        launched_on=on,
        evidence="contest",
        evidence_note=f"{contest.title} (FY{contest.fiscal_year}) entry {entry.id}",
        submitted_at=utcnow(),
        moderated_at=utcnow(),
        moderated_by=principal.label,
    )
    session.add(reuse)
    session.flush()
    entry.reuse_id = reuse.id
    _audit(session, principal, "contest.launch", "opendata_entry", entry.id)
    return reuse


def as_dict(row: Any) -> dict[str, Any]:
    """A row's columns as JSON-able values (dates as ISO)."""
    out = {}
    for column in row.__table__.columns:
        value = getattr(row, column.name)
        out[column.name] = value.isoformat() if isinstance(value, date) else value
    return out
