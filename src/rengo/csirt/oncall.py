"""24/365 on call: teams, rotas of shifts with hand-overs, pages that escalate.

A page goes to whoever is on call in the team now (level 0). Not acknowledged within
the team's ``ack_minutes`` → the next person in the rota (level 1) → the team's manager
(level 2) → the page is *exhausted* and the whole team's channel is told. Every
notification is an e-mail to the person's address and a post to the team's webhook;
acknowledgement is by the link in the message (a one-time token) or in the UI.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.identity import User
from rengo.core.permissions import SYSTEM, Principal, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.wards import JOINT, is_tenant
from rengo.csirt import notify, timeline
from rengo.csirt.models import OnCallTeam, Page, Shift

TEAM_KINDS = ("csirt", "ward_contact", "executives")
LEVELS = ("on call", "next on call", "manager")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- teams and rotas ------------------------------------------------------------------


def create_team(
    session: Session,
    principal: Principal,
    *,
    tenant: str,
    name: str,
    kind: str,
    manager: str | None = None,
    ack_minutes: int | None = None,
    webhook_url: str = "",
    webhook_secret_name: str = "",
    settings: Settings,
) -> OnCallTeam:
    problems = []
    if not is_tenant(tenant):
        problems.append(Problem(f"{tenant!r} is not a tenant", "field tenant"))
    if kind not in TEAM_KINDS:
        problems.append(Problem(f"one of {', '.join(TEAM_KINDS)}", "field kind"))
    if ack_minutes is not None and ack_minutes < 1:
        problems.append(Problem("at least 1 minute", "field ack_minutes"))
    if webhook_url and not webhook_url.startswith(("http://", "https://")):
        problems.append(Problem("an http(s) URL", "field webhook_url"))
    if problems:
        raise InvalidInput("invalid team", problems)
    require(principal, "csirt.oncall.manage", tenant)
    if session.scalar(
        select(OnCallTeam.id).where(OnCallTeam.tenant == tenant, OnCallTeam.name == name)
    ):
        raise Conflict(f"team {name!r} exists in {tenant}")
    team = OnCallTeam(
        tenant=tenant, name=name, kind=kind, manager=manager,
        ack_minutes=ack_minutes or settings.csirt.escalation_ack_minutes,
        webhook_url=webhook_url, webhook_secret_name=webhook_secret_name,
    )  # fmt: skip
    session.add(team)
    session.flush()
    audit.record(session, principal, "csirt.oncall.team_create", object_type="oncall_team",
                 object_id=team.id, object_tenant=tenant, detail={"name": name, "kind": kind})  # fmt: skip
    return team


def get_team(session: Session, principal: Principal, team_id: int) -> OnCallTeam:
    team = session.get(OnCallTeam, team_id)
    if team is None:
        raise NotFound(f"team {team_id} not found")
    require(principal, "csirt.oncall.read", team.tenant, hide=True)
    return team


def teams(session: Session, principal: Principal) -> list[OnCallTeam]:
    visible = visible_tenants(principal, "csirt.oncall.read")
    stmt = select(OnCallTeam).order_by(OnCallTeam.tenant, OnCallTeam.name)
    if visible is not None:
        stmt = stmt.where(OnCallTeam.tenant.in_(sorted(visible | {JOINT})))
    return list(session.scalars(stmt))


def add_shifts(
    session: Session,
    principal: Principal,
    team_id: int,
    *,
    usernames: list[str],
    start: datetime,
    shift_hours: float,
    count: int,
) -> list[Shift]:
    """A rota: ``count`` consecutive shifts, taking ``usernames`` in turn."""
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    problems = []
    if not usernames:
        problems.append(Problem("at least one person", "field usernames"))
    if not 0 < shift_hours <= 24 * 14:
        problems.append(Problem("between 0 and 336 hours", "field shift_hours"))
    if not 0 < count <= 1000:
        problems.append(Problem("between 1 and 1000", "field count"))
    known = set(session.scalars(select(User.username).where(User.username.in_(usernames))))
    problems += [Problem(f"no user {u!r}", "field usernames") for u in usernames if u not in known]
    try:
        start + count * timedelta(hours=shift_hours)
    except OverflowError:
        problems.append(Problem("the rota would end after the year 9999", "field start"))
    if problems:
        raise InvalidInput("invalid rota", problems)
    shifts = []
    length = timedelta(hours=shift_hours)
    for i in range(count):
        begins = start + i * length
        shifts.append(Shift(team_id=team.id, username=usernames[i % len(usernames)],
                            starts_at=begins, ends_at=begins + length))  # fmt: skip
    session.add_all(shifts)
    session.flush()
    audit.record(session, principal, "csirt.oncall.rota", object_type="oncall_team",
                 object_id=team.id, object_tenant=team.tenant,
                 detail={"shifts": count, "people": usernames})  # fmt: skip
    return shifts


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


def next_person(session: Session, team_id: int, at: datetime, besides: str) -> str | None:
    """Who is on call after the current person (the rota's next different name)."""
    for shift in upcoming_shifts(session, team_id, at, limit=50):
        if shift.username != besides:
            return shift.username
    return None


def hand_over(
    session: Session, principal: Principal, team_id: int, note: str, now: datetime
) -> Shift:
    """The outgoing person's note for the next one, on the shift that is ending."""
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    shift = current_shift(session, team.id, now)
    if shift is None:
        raise Conflict(f"nobody is on call in {team.name} now")
    if not note.strip():
        raise InvalidInput(
            "empty hand-over", [Problem("say what the next person must know", "field note")]
        )
    shift.handover_note, shift.handed_over_at = note.strip(), now
    audit.record(session, principal, "csirt.oncall.handover", object_type="oncall_team",
                 object_id=team.id, object_tenant=team.tenant, detail={"shift": shift.id})  # fmt: skip
    return shift


# -- pages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageSent:
    page: Page
    ack_token: str


def _email_of(session: Session, username: str) -> str:
    return session.scalar(select(User.email).where(User.username == username)) or ""


def _notify_level(session: Session, team: OnCallTeam, page: Page, token: str,
                  settings: Settings, now: datetime) -> None:  # fmt: skip
    link = f"{settings.csirt.public_base_url.rstrip('/')}/oncall/ack/{token}"
    who = LEVELS[min(page.level, 2)]
    subject = f"[rengo {team.name}] {page.subject}"
    body = (
        f"{page.body}\n\nTo: {page.target or '(nobody on call)'} ({who}). "
        f"Acknowledge within {team.ack_minutes} minutes or it escalates."
    )
    reference = f"page:{page.id}"
    email = _email_of(session, page.target) if page.target else ""
    if email:
        notify.enqueue(session, channel="email", recipient=email, subject=subject, body=body,
                       link=link, now=now, topic="oncall.page", tenant=team.tenant,
                       reference=reference)  # fmt: skip
    if team.webhook_url:
        notify.enqueue(session, channel="webhook", recipient=team.webhook_url, subject=subject,
                       body=body, link=link, now=now, topic="oncall.page", tenant=team.tenant,
                       secret_name=team.webhook_secret_name, reference=reference)  # fmt: skip


def _target_for(session: Session, team: OnCallTeam, level: int, now: datetime,
                current: str) -> tuple[int, str]:  # fmt: skip
    """The first level from ``level`` on that has someone to call, and that person."""
    if level == 0:
        shift = current_shift(session, team.id, now)
        if shift is not None:
            return 0, shift.username
        level = 1
    if level == 1:
        following = next_person(session, team.id, now, besides=current)
        if following is not None:
            return 1, following
        level = 2
    if level == 2 and team.manager:
        return 2, team.manager
    return 3, ""


def page_team(
    session: Session,
    team: OnCallTeam,
    *,
    subject: str,
    body: str,
    settings: Settings,
    now: datetime,
    incident_id: int | None = None,
) -> PageSent:
    token = secrets.token_urlsafe(24)
    level, target = _target_for(session, team, 0, now, current="")
    page = Page(team_id=team.id, incident_id=incident_id, subject=subject[:300], body=body,
                created_at=now, level=min(level, 2), target=target, ack_token_hash=_digest(token),
                status="open", next_escalation_at=now + timedelta(minutes=team.ack_minutes))  # fmt: skip
    session.add(page)
    session.flush()
    _notify_level(session, team, page, token, settings, now)
    if incident_id is not None:
        timeline.add(session, incident_id, "message",
                     f"Paged {team.name}: {target or 'nobody on call'} ({LEVELS[min(level, 2)]})",
                     actor="rengo", at=now, detail={"page": page.id, "team": team.id})  # fmt: skip
    return PageSent(page, token)


def acknowledge(
    session: Session, page: Page, who: str, now: datetime, principal: Principal = SYSTEM
) -> Page:
    if page.status == "acknowledged":
        return page
    page.status, page.acknowledged_at, page.acknowledged_by = "acknowledged", now, who
    page.next_escalation_at = None
    team = session.get(OnCallTeam, page.team_id)
    audit.record(session, principal, "csirt.oncall.ack", object_type="page", object_id=page.id,
                 object_tenant=team.tenant if team else None, detail={"by": who})  # fmt: skip
    if page.incident_id is not None:
        timeline.add(session, page.incident_id, "message", f"Page acknowledged by {who}",
                     actor=who, at=now, detail={"page": page.id})  # fmt: skip
    return page


def page_by_token(session: Session, token: str) -> Page:
    page = session.scalar(select(Page).where(Page.ack_token_hash == _digest(token)))
    if page is None:
        raise NotFound("unknown or expired acknowledgement link")
    return page


def get_page(session: Session, principal: Principal, page_id: int) -> Page:
    page = session.get(Page, page_id)
    if page is None:
        raise NotFound(f"page {page_id} not found")
    get_team(session, principal, page.team_id)
    return page


def pages(session: Session, principal: Principal, *, open_only: bool = False,
          limit: int = 100) -> list[Page]:  # fmt: skip
    team_ids = [t.id for t in teams(session, principal)]
    stmt = select(Page).where(Page.team_id.in_(team_ids)).order_by(Page.id.desc())
    if open_only:
        stmt = stmt.where(Page.status == "open")
    return list(session.scalars(stmt.limit(limit)))


def run_escalations(session: Session, settings: Settings, now: datetime) -> int:
    """Escalate every open page whose acknowledgement time ran out; returns how many."""
    due = session.scalars(
        select(Page).where(Page.status == "open", Page.next_escalation_at <= now).order_by(Page.id)
    ).all()
    for page in due:
        team = session.get(OnCallTeam, page.team_id)
        assert team is not None
        level, target = _target_for(session, team, page.level + 1, now, current=page.target)
        token = secrets.token_urlsafe(24)
        if level > 2:
            page.status, page.next_escalation_at, page.target = "exhausted", None, ""
            page.subject = page.subject[:280]
            page.body += "\n\nNobody acknowledged this page."
        else:
            page.level, page.target = level, target
            page.next_escalation_at = now + timedelta(minutes=team.ack_minutes)
        # A fresh link for the new recipient; the old one stops working.
        page.ack_token_hash = _digest(token)
        _notify_level(session, team, page, token, settings, now)
        if page.incident_id is not None:
            what = f"escalated to {target} ({LEVELS[level]})" if level <= 2 else "unanswered"
            timeline.add(session, page.incident_id, "message", f"Page to {team.name} {what}",
                         actor="rengo", at=now, detail={"page": page.id, "level": level})  # fmt: skip
    return len(due)


def teams_for(session: Session, wards: list[str], kinds: tuple[str, ...]) -> list[OnCallTeam]:
    """The joint centre's teams and those of ``wards``, of the given kinds."""
    return list(
        session.scalars(
            select(OnCallTeam)
            .where(OnCallTeam.tenant.in_([JOINT, *wards]), OnCallTeam.kind.in_(kinds))
            .order_by(OnCallTeam.id)
        )
    )
