"""Pages: a call for a team's attention that follows the team's escalation policy until
someone acknowledges it.

Each step e-mails the people it reaches and posts to the team's webhook, with a one-time
acknowledgement link (a new link per step; the old one stops working). Not acknowledged
within the step's minutes → the next step (``run_escalations``, called by the worker);
after the last step the page is *exhausted* and the team's channel is told.
Acknowledging: by the link, or in the UI/API by a person the page reached, a member of
the team, or someone who manages the team's on call.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Forbidden, NotFound
from rengo.core.identity import User
from rengo.core.permissions import SYSTEM, Principal, allows, require, visible_tenants
from rengo.core.settings import Settings
from rengo.notify import escalation, outbox
from rengo.notify.hooks import PageEvent, page_event
from rengo.notify.models import OnCallPage, OnCallTeam
from rengo.notify.oncall import teams
from rengo.notify.settings import CsirtSettings

STEP_LABELS = {
    "on_call": "on call",
    "next_on_call": "next on call",
    "manager": "manager",
    "user": "named person",
    "team": "whole team",
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PageSent:
    page: OnCallPage
    ack_token: str


def _emails(session: Session, usernames: list[str]) -> list[str]:
    if not usernames:
        return []
    rows = session.execute(
        select(User.username, User.email).where(User.username.in_(usernames), User.active.is_(True))
    ).all()
    by_name = {name: email for name, email in rows if email}
    return [by_name[u] for u in usernames if u in by_name]


def _step_label(team: OnCallTeam, level: int) -> str:
    steps = escalation.policy(team)
    return STEP_LABELS[steps[level].target] if level < len(steps) else "unanswered"


def _notify(
    session: Session,
    team: OnCallTeam,
    page: OnCallPage,
    people: list[str],
    token: str,
    settings: Settings,
    now: datetime,
) -> None:
    link = f"{settings.section(CsirtSettings).public_base_url.rstrip('/')}/oncall/ack/{token}"
    minutes = escalation.policy(team)[page.level].minutes if people else 0
    subject = f"[rengo {team.name}] {page.subject}"
    body = (
        f"{page.body}\n\nTo: {', '.join(people) or '(the whole team)'} "
        f"({_step_label(team, page.level)}). "
        + (f"Acknowledge within {minutes} minutes or it escalates." if people else "")
    )
    reference = f"page:{page.id}"
    outbox.enqueue_emails(
        session,
        [(email, team.tenant) for email in _emails(session, people)],
        subject=subject,
        body=body,
        link=link,
        now=now,
        topic="oncall.page",
        reference=reference,
    )
    if team.webhook_url:
        outbox.enqueue(
            session,
            channel="webhook",
            recipient=team.webhook_url,
            subject=subject,
            body=body,
            link=link,
            now=now,
            topic="oncall.page",
            tenant=team.tenant,
            secret_name=team.webhook_secret_name,
            reference=reference,
        )


def _call_step(
    session: Session,
    team: OnCallTeam,
    page: OnCallPage,
    start: int,
    settings: Settings,
    now: datetime,
) -> tuple[list[str], str]:
    """Move ``page`` to the first step from ``start`` that reaches someone and call them;
    returns whom and the step's acknowledgement token."""
    level, people = escalation.first_reachable(session, team, start, now, set(page.called))
    token = secrets.token_urlsafe(24)
    # A fresh link for the new recipients; the old one stops working.
    page.ack_token_hash = _digest(token)
    page.level = level
    if people:
        page.target = ", ".join(people)[:64]
        page.called = [*page.called, *(p for p in people if p not in page.called)]
        page.next_escalation_at = now + timedelta(minutes=escalation.policy(team)[level].minutes)
    else:
        page.status, page.next_escalation_at, page.target = "exhausted", None, ""
        page.body += (
            "\n\nNobody acknowledged this page."
            if page.called
            else (
                "\n\nNobody could be reached: the team has no one on call, no members and no "
                "manager."
            )
        )
    session.flush()
    _notify(session, team, page, people, token, settings, now)
    return people, token


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
    page = OnCallPage(
        team_id=team.id,
        incident_id=incident_id,
        subject=subject[:300],
        body=body,
        created_at=now,
        level=0,
        target="",
        called=[],
        status="open",
        ack_token_hash=_digest(secrets.token_urlsafe(24)),
    )
    session.add(page)
    session.flush()
    people, token = _call_step(session, team, page, 0, settings, now)
    label = _step_label(team, page.level)
    page_event(session, PageEvent("paged", page, team, now, tuple(people), label))
    return PageSent(page, token)


def run_escalations(session: Session, settings: Settings, now: datetime) -> int:
    """Escalate every open page whose acknowledgement time ran out; returns how many."""
    due = session.scalars(
        select(OnCallPage)
        .where(OnCallPage.status == "open", OnCallPage.next_escalation_at <= now)
        .order_by(OnCallPage.id)
    ).all()
    for page in due:
        team = session.get(OnCallTeam, page.team_id)
        assert team is not None
        people, _token = _call_step(session, team, page, page.level + 1, settings, now)
        label = _step_label(team, page.level)
        page_event(session, PageEvent("escalated", page, team, now, tuple(people), label))
    return len(due)


def may_acknowledge(session: Session, principal: Principal, page: OnCallPage) -> bool:
    """The people the page reached, the team's members and its managers may answer it."""
    team = session.get(OnCallTeam, page.team_id)
    if team is None:
        return False
    if allows(principal, "csirt.oncall.manage", team.tenant):
        return True
    name = principal.username
    return bool(name) and (name in page.called or name in escalation.members(session, team.id))


def acknowledge(
    session: Session, page: OnCallPage, who: str, now: datetime, principal: Principal = SYSTEM
) -> OnCallPage:
    if page.status == "acknowledged":
        return page
    if principal is not SYSTEM and not may_acknowledge(session, principal, page):
        raise Forbidden("only the people paged, the team's members or its managers acknowledge")
    # Several answer one page at once — the link in the message, the on-call page, the API,
    # a double click — each request having read it open. A conditional UPDATE lets only the
    # one that turns it from open record it (audit entry, timeline row, notifications);
    # the others see it acknowledged. (Setting the attributes on the loaded row let every
    # one of them through: five "Page acknowledged" rows in the same second.)
    won = session.execute(
        update(OnCallPage)
        .where(OnCallPage.id == page.id, OnCallPage.status != "acknowledged")
        .values(
            status="acknowledged", acknowledged_at=now, acknowledged_by=who, next_escalation_at=None
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(page)
    if not won:
        return page
    team = session.get(OnCallTeam, page.team_id)
    audit.record(
        session,
        principal,
        "csirt.oncall.ack",
        object_type="page",
        object_id=page.id,
        object_tenant=team.tenant if team else None,
        detail={"by": who},
    )
    if team is not None:
        page_event(session, PageEvent("acknowledged", page, team, now, by=who))
    return page


def page_by_token(session: Session, token: str) -> OnCallPage:
    page = session.scalar(select(OnCallPage).where(OnCallPage.ack_token_hash == _digest(token)))
    if page is None:
        raise NotFound("unknown or expired acknowledgement link")
    return page


def get_page(session: Session, principal: Principal, page_id: int) -> OnCallPage:
    page = session.get(OnCallPage, page_id)
    team = session.get(OnCallTeam, page.team_id) if page is not None else None
    if page is None or team is None:
        raise NotFound("page {page_id} not found", values={"page_id": page_id})
    # A page names incidents of any ward: only the team's own organisation sees it.
    require(principal, "csirt.oncall.read", team.tenant, hide=True)
    return page


def pages(
    session: Session,
    principal: Principal,
    *,
    open_only: bool = False,
    team_id: int | None = None,
    limit: int = 100,
) -> list[OnCallPage]:
    visible = visible_tenants(principal, "csirt.oncall.read")
    team_ids = [
        t.id
        for t in teams(session, principal)
        if (team_id is None or t.id == team_id) and (visible is None or t.tenant in visible)
    ]
    stmt = select(OnCallPage).where(OnCallPage.team_id.in_(team_ids)).order_by(OnCallPage.id.desc())
    if open_only:
        stmt = stmt.where(OnCallPage.status == "open")
    return list(session.scalars(stmt.limit(limit)))
