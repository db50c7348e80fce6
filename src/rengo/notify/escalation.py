"""Escalation policies: who a page goes to, step by step, until someone acknowledges it.

A team's policy is an ordered list of steps; each names whom to call and how many
minutes to wait for an acknowledgement before the next step:

- ``on_call``       whoever's shift covers the moment of the call;
- ``next_on_call``  the next different person in the rota after the one just called;
- ``manager``       the team's manager;
- ``user``          one named person (e.g. the CISO's deputy);
- ``team``          every member of the team at once.

A step that finds nobody (no shift, no manager) is passed over. After the last step the
page is *exhausted* and the team's channel is told. A team without its own policy uses
the default: on call → next on call → manager, ``ack_minutes`` each (a finance contact
team: all members, then the manager — nobody there is on call at night).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem
from rengo.core.identity import User
from rengo.core.types import TenantCode
from rengo.notify.models import OnCallTeam, Shift, TeamMember

TARGETS = ("on_call", "next_on_call", "manager", "user", "team")
MAX_STEPS = 10
MAX_MINUTES = 7 * 24 * 60


@dataclass(frozen=True, slots=True)
class Step:
    target: str
    minutes: int
    user: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "minutes": self.minutes, "user": self.user}


def default_policy(team: OnCallTeam) -> list[Step]:
    if team.kind == "finance":
        return [Step("team", team.ack_minutes), Step("manager", team.ack_minutes)]
    return [Step(t, team.ack_minutes) for t in ("on_call", "next_on_call", "manager")]


def policy(team: OnCallTeam) -> list[Step]:
    """The team's steps (its own, or the default)."""
    if not team.escalation:
        return default_policy(team)
    return [Step(s["target"], int(s["minutes"]), s.get("user") or "") for s in team.escalation]


def validate(session: Session, team: OnCallTeam, steps: list[dict[str, Any]]) -> list[Step]:
    """Checked steps; named users must be people of the team's tenant."""
    problems = []
    if not 1 <= len(steps) <= MAX_STEPS:
        problems.append(
            Problem(
                "between 1 and {MAX_STEPS} steps", "field steps", values={"MAX_STEPS": MAX_STEPS}
            )
        )
    checked = []
    for n, raw in enumerate(steps, start=1):
        where = f"field steps[{n}]"
        target, user = str(raw.get("target") or ""), str(raw.get("user") or "").strip()
        try:
            minutes = int(raw.get("minutes") or 0)
        except (TypeError, ValueError):
            minutes = 0
        if target not in TARGETS:
            problems.append(
                Problem(
                    "whom to call: one of {targets}",
                    f"{where}.target",
                    values={"targets": ", ".join(TARGETS)},
                )
            )
        if not 1 <= minutes <= MAX_MINUTES:
            problems.append(
                Problem(
                    "minutes to wait: 1 to {MAX_MINUTES}",
                    f"{where}.minutes",
                    values={"MAX_MINUTES": MAX_MINUTES},
                )
            )
        if target == "user" and not user:
            problems.append(Problem("name the person to call", f"{where}.user"))
        if target == "user" and user and not _is_person_of(session, user, team.tenant):
            problems.append(
                Problem(
                    "no user {user!r} in this team's organisation",
                    f"{where}.user",
                    values={"user": user},
                )
            )
        checked.append(Step(target, minutes, user if target == "user" else ""))
    if problems:
        raise InvalidInput("invalid escalation policy", problems)
    return checked


def _is_person_of(session: Session, username: str, tenant: TenantCode) -> bool:
    found = session.scalar(select(User.tenant).where(User.username == username))
    return found == tenant


def members(session: Session, team_id: int) -> list[str]:
    return list(
        session.scalars(
            select(TeamMember.username)
            .where(TeamMember.team_id == team_id)
            .order_by(TeamMember.position, TeamMember.id)
        )
    )


def current_shift(session: Session, team_id: int, at: datetime) -> Shift | None:
    return session.scalar(
        select(Shift)
        .where(Shift.team_id == team_id, Shift.starts_at <= at, Shift.ends_at > at)
        .order_by(Shift.starts_at.desc(), Shift.id.desc())
        .limit(1)
    )


def upcoming_shifts(session: Session, team_id: int, at: datetime, limit: int = 10) -> list[Shift]:
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.team_id == team_id, Shift.ends_at > at)
            .order_by(Shift.starts_at, Shift.id)
            .limit(limit)
        )
    )


def next_person(session: Session, team_id: int, at: datetime, besides: set[str]) -> str | None:
    """Who is on call after the people already called (the rota's next other name)."""
    for shift in upcoming_shifts(session, team_id, at, limit=50):
        if shift.username not in besides:
            return shift.username
    return None


def resolve(
    session: Session, team: OnCallTeam, step: Step, at: datetime, called: set[str]
) -> list[str]:
    """The people ``step`` calls now (empty: nobody, pass over it)."""
    if step.target == "on_call":
        shift = current_shift(session, team.id, at)
        return [shift.username] if shift else []
    if step.target == "next_on_call":
        following = next_person(session, team.id, at, besides=called)
        return [following] if following else []
    if step.target == "manager":
        return [team.manager] if team.manager else []
    if step.target == "user":
        return [step.user]
    return members(session, team.id)


def first_reachable(
    session: Session, team: OnCallTeam, start: int, at: datetime, called: set[str]
) -> tuple[int, list[str]]:
    """The first step from ``start`` on that reaches someone, and whom; past the end:
    ``(len(steps), [])`` — the page is exhausted."""
    steps = policy(team)
    for index in range(start, len(steps)):
        people = resolve(session, team, steps[index], at, called)
        if people:
            return index, people
    return len(steps), []
