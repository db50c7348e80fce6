"""24/365 on call: teams, their members in rota order, rotas of shifts, hand-overs.

Teams belong to a tenant: the joint CSIRT (``csirt``), each ward's contact
(``ward_contact``), the executives (``executives``) and each ward's finance contact
(``finance``, told of FinOps alerts). A rota is a run of consecutive shifts taking the
members (or the people given) in turn; one shift can be handed to someone else (a swap);
the outgoing person leaves a hand-over note on the shift that is ending. Who a page
reaches is the team's escalation policy (``rengo.notify.escalation``); paging is in
``rengo.notify.paging``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.identity import User
from rengo.core.permissions import Principal, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, is_tenant
from rengo.notify import escalation
from rengo.notify.escalation import current_shift, members, upcoming_shifts
from rengo.notify.models import OnCallTeam, Shift, TeamMember
from rengo.notify.settings import CsirtSettings

TEAM_KINDS = ("csirt", "ward_contact", "executives", "finance")
MAX_SHIFTS = 1000

__all__ = ["current_shift", "members", "upcoming_shifts"]


def _check_people(
    session: Session, tenant: TenantCode, usernames: list[str], where: str
) -> list[Problem]:
    """People of a team must be users of the team's own tenant."""
    found = dict(
        session.execute(
            select(User.username, User.tenant).where(User.username.in_(usernames))
        ).all()
    )
    # One message for both cases: another tenant's user names are not disclosed.
    return [
        Problem("no user {user!r} in this team's organisation", where, values={"user": u})
        for u in usernames
        if found.get(u) != tenant
    ]


# -- teams -------------------------------------------------------------------------------


def _team_problems(session: Session, tenant: TenantCode, values: dict[str, Any]) -> list[Problem]:
    problems = []
    if "name" in values and not str(values["name"] or "").strip():
        problems.append(Problem("a name", "field name"))
    if "kind" in values and values["kind"] not in TEAM_KINDS:
        problems.append(
            Problem(
                "one of {team_kinds}", "field kind", values={"team_kinds": ", ".join(TEAM_KINDS)}
            )
        )
    ack = values.get("ack_minutes")
    if ack is not None and not 1 <= ack <= 1440:
        problems.append(Problem("between 1 and 1440 minutes", "field ack_minutes"))
    url = values.get("webhook_url") or ""
    if url and not url.startswith(("http://", "https://")):
        problems.append(Problem("an http(s) URL", "field webhook_url"))
    secret = values.get("webhook_secret_name") or ""
    if secret and not secret.replace("_", "").isalnum():
        problems.append(Problem("letters, digits and _ only", "field webhook_secret_name"))
    if values.get("manager") and is_tenant(tenant):
        problems += _check_people(session, tenant, [values["manager"]], "field manager")
    return problems


def create_team(
    session: Session,
    principal: Principal,
    *,
    tenant: TenantCode,
    name: str,
    kind: str,
    manager: str | None = None,
    ack_minutes: int | None = None,
    webhook_url: str = "",
    webhook_secret_name: str = "",
    settings: Settings,
) -> OnCallTeam:
    values = {
        "name": name,
        "kind": kind,
        "manager": manager,
        "ack_minutes": ack_minutes,
        "webhook_url": webhook_url,
        "webhook_secret_name": webhook_secret_name,
    }
    problems = (
        []
        if is_tenant(tenant)
        else [Problem("{tenant!r} is not a tenant", "field tenant", values={"tenant": tenant})]
    )
    problems += _team_problems(session, tenant, values)
    if problems:
        raise InvalidInput("invalid team", problems)
    require(principal, "csirt.oncall.manage", tenant)
    if session.scalar(
        select(OnCallTeam.id).where(OnCallTeam.tenant == tenant, OnCallTeam.name == name.strip())
    ):
        raise Conflict("team {name!r} exists in {tenant}", values={"name": name, "tenant": tenant})
    team = OnCallTeam(
        tenant=tenant,
        name=name.strip(),
        kind=kind,
        manager=manager or None,
        ack_minutes=ack_minutes or settings.section(CsirtSettings).escalation_ack_minutes,
        webhook_url=webhook_url,
        webhook_secret_name=webhook_secret_name,
        escalation=[],
    )
    session.add(team)
    session.flush()
    audit.record(
        session,
        principal,
        "csirt.oncall.team_create",
        object_type="oncall_team",
        object_id=team.id,
        object_tenant=tenant,
        detail={"name": name, "kind": kind},
    )
    return team


TEAM_FIELDS = ("name", "kind", "manager", "ack_minutes", "webhook_url", "webhook_secret_name")


def update_team(
    session: Session, principal: Principal, team_id: int, changes: dict[str, Any]
) -> OnCallTeam:
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    # ``None`` leaves a field as it is; an empty manager removes the manager.
    values = {k: v for k, v in changes.items() if k in TEAM_FIELDS and v is not None}
    if "manager" in values:
        values["manager"] = (values["manager"] or "").strip() or None
    problems = _team_problems(session, team.tenant, values)
    if problems:
        raise InvalidInput("invalid team", problems)
    name = str(values.get("name", team.name)).strip()
    if name != team.name and session.scalar(
        select(OnCallTeam.id).where(OnCallTeam.tenant == team.tenant, OnCallTeam.name == name)
    ):
        raise Conflict(
            "team {name!r} exists in {tenant}", values={"name": name, "tenant": team.tenant}
        )
    values["name"] = name
    diff = {k: [getattr(team, k), v] for k, v in values.items() if getattr(team, k) != v}
    for key, (_, value) in diff.items():
        setattr(team, key, value)
    if diff:
        audit.record(
            session,
            principal,
            "csirt.oncall.team_update",
            object_type="oncall_team",
            object_id=team.id,
            object_tenant=team.tenant,
            detail=diff,
        )
    return team


def set_escalation(
    session: Session, principal: Principal, team_id: int, steps: list[dict[str, Any]] | None
) -> OnCallTeam:
    """The team's own policy; ``None`` or ``[]`` returns to the default."""
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    checked = escalation.validate(session, team, steps) if steps else []
    before = team.escalation
    team.escalation = [s.as_dict() for s in checked]
    audit.record(
        session,
        principal,
        "csirt.oncall.escalation",
        object_type="oncall_team",
        object_id=team.id,
        object_tenant=team.tenant,
        detail={"from": before, "to": team.escalation},
    )
    return team


def get_team(session: Session, principal: Principal, team_id: int) -> OnCallTeam:
    team = session.get(OnCallTeam, team_id)
    if team is None:
        raise NotFound("team {team_id} not found", values={"team_id": team_id})
    # The joint centre's teams are every ward's to see (whom to call); a ward's are its own.
    require(
        principal, "csirt.oncall.read", None if team.tenant == JOINT else team.tenant, hide=True
    )
    return team


def teams(session: Session, principal: Principal) -> list[OnCallTeam]:
    visible = visible_tenants(principal, "csirt.oncall.read")
    stmt = select(OnCallTeam).order_by(OnCallTeam.tenant, OnCallTeam.name)
    if visible is not None:
        stmt = stmt.where(OnCallTeam.tenant.in_(sorted(visible | {JOINT})))
    return list(session.scalars(stmt))


def teams_for(
    session: Session, wards: list[TenantCode], kinds: tuple[str, ...]
) -> list[OnCallTeam]:
    """The joint centre's teams and those of ``wards``, of the given kinds."""
    return list(
        session.scalars(
            select(OnCallTeam)
            .where(OnCallTeam.tenant.in_([JOINT, *wards]), OnCallTeam.kind.in_(kinds))
            .order_by(OnCallTeam.id)
        )
    )


# -- members -----------------------------------------------------------------------------


def set_members(
    session: Session, principal: Principal, team_id: int, usernames: list[str]
) -> list[str]:
    """The team's people, in rota order (the whole list: add, remove and reorder at once)."""
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    wanted = list(dict.fromkeys(u.strip() for u in usernames if u.strip()))
    problems = _check_people(session, team.tenant, wanted, "field usernames")
    if problems:
        raise InvalidInput("invalid members", problems)
    before = members(session, team.id)
    session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.add_all(
        TeamMember(team_id=team.id, username=u, position=n) for n, u in enumerate(wanted)
    )
    session.flush()
    if before != wanted:
        audit.record(
            session,
            principal,
            "csirt.oncall.members",
            object_type="oncall_team",
            object_id=team.id,
            object_tenant=team.tenant,
            detail={"from": before, "to": wanted},
        )
    return wanted


# -- rotas -------------------------------------------------------------------------------


def add_shifts(
    session: Session,
    principal: Principal,
    team_id: int,
    *,
    usernames: list[str] | None,
    start: datetime,
    shift_hours: float,
    count: int,
    replace: bool = False,
) -> list[Shift]:
    """A rota: ``count`` consecutive shifts from ``start``, taking ``usernames`` (default:
    the members in order) in turn. ``replace`` first drops the shifts starting from then."""
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    people = list(usernames) if usernames else members(session, team.id)
    problems = []
    if not people:
        problems.append(Problem("at least one person (or add members first)", "field usernames"))
    if not 0 < shift_hours <= 24 * 14:
        problems.append(Problem("between 0 and 336 hours", "field shift_hours"))
    if not 0 < count <= MAX_SHIFTS:
        problems.append(
            Problem("between 1 and {MAX_SHIFTS}", "field count", values={"MAX_SHIFTS": MAX_SHIFTS})
        )
    problems += _check_people(session, team.tenant, sorted(set(people)), "field usernames")
    try:
        start + count * timedelta(hours=shift_hours)
    except OverflowError:
        problems.append(Problem("the rota would end after the year 9999", "field start"))
    if problems:
        raise InvalidInput("invalid rota", problems)
    dropped = 0
    if replace:
        dropped = session.execute(
            delete(Shift).where(Shift.team_id == team.id, Shift.starts_at >= start)
        ).rowcount  # type: ignore[attr-defined]
    length = timedelta(hours=shift_hours)
    shifts = [
        Shift(
            team_id=team.id,
            username=people[i % len(people)],
            starts_at=start + i * length,
            ends_at=start + (i + 1) * length,
        )
        for i in range(count)
    ]
    session.add_all(shifts)
    session.flush()
    audit.record(
        session,
        principal,
        "csirt.oncall.rota",
        object_type="oncall_team",
        object_id=team.id,
        object_tenant=team.tenant,
        detail={"shifts": count, "people": people, "replaced": dropped},
    )
    return shifts


def get_shift(session: Session, principal: Principal, team_id: int, shift_id: int) -> Shift:
    team = get_team(session, principal, team_id)
    shift = session.get(Shift, shift_id)
    if shift is None or shift.team_id != team.id:
        raise NotFound("shift {shift_id} not found", values={"shift_id": shift_id})
    return shift


def swap_shift(
    session: Session,
    principal: Principal,
    team_id: int,
    shift_id: int,
    username: str,
    now: datetime,
) -> Shift:
    """Give one shift to someone else (holiday, illness); past shifts stay as they were."""
    shift = get_shift(session, principal, team_id, shift_id)
    team = get_team(session, principal, team_id)
    require(principal, "csirt.oncall.manage", team.tenant)
    if shift.ends_at <= now:
        raise Conflict("this shift is over: the record of who was on call stays")
    problems = _check_people(session, team.tenant, [username], "field username")
    if problems:
        raise InvalidInput("invalid swap", problems)
    before, shift.username = shift.username, username
    audit.record(
        session,
        principal,
        "csirt.oncall.swap",
        object_type="oncall_team",
        object_id=team.id,
        object_tenant=team.tenant,
        detail={"shift": shift.id, "from": before, "to": username},
    )
    return shift


def hand_over(
    session: Session, principal: Principal, team_id: int, note: str, now: datetime
) -> Shift:
    """The outgoing person's note for the next one, on the shift that is ending."""
    team = get_team(session, principal, team_id)
    shift = current_shift(session, team.id, now)
    if shift is None:
        raise Conflict("nobody is on call in {name} now", values={"name": team.name})
    if principal.username != shift.username:
        require(principal, "csirt.oncall.manage", team.tenant)
    if not note.strip():
        raise InvalidInput(
            "empty hand-over", [Problem("say what the next person must know", "field note")]
        )
    shift.handover_note, shift.handed_over_at = note.strip(), now
    audit.record(
        session,
        principal,
        "csirt.oncall.handover",
        object_type="oncall_team",
        object_id=team.id,
        object_tenant=team.tenant,
        detail={"shift": shift.id},
    )
    return shift


def recent_handovers(session: Session, team_id: int, limit: int = 10) -> list[Shift]:
    return list(
        session.scalars(
            select(Shift)
            .where(Shift.team_id == team_id, Shift.handed_over_at.is_not(None))
            .order_by(Shift.handed_over_at.desc())
            .limit(limit)
        )
    )
