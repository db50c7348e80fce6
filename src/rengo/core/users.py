"""Administering user accounts: list, create, change role, disable, reset password.

A ward's administrator manages the accounts of that ward; the joint centre's
administrators manage every account. Every change is audited.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit, mfa
from rengo.core.errors import Forbidden, InvalidInput, NotFound, Problem
from rengo.core.identity import Passwords, User, create_user, set_password
from rengo.core.permissions import Principal, Role, require, visible_tenants

EDITABLE = ("display_name", "email", "role", "active")


def list_users(session: Session, principal: Principal, *, client: str = "") -> list[User]:
    """The accounts one administers; the read is audited (one entry per listing)."""
    tenants = visible_tenants(principal, "users.manage")
    stmt = select(User).order_by(User.tenant, User.username)
    if tenants is not None:
        stmt = stmt.where(User.tenant.in_(tenants))
    found = list(session.scalars(stmt))
    audit.record(
        session,
        principal,
        "user.list",
        object_type="user_list",
        object_tenant=next(iter(tenants)) if tenants and len(tenants) == 1 else None,
        detail={"rows": len(found)},
        client=client,
    )
    return found


def by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("user {username!r} not found", values={"username": username})
    return user


def _managed(session: Session, principal: Principal, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user {user_id} not found", values={"user_id": user_id})
    require(principal, "users.manage", user.tenant, hide=True)
    return user


def add_user(
    session: Session,
    principal: Principal,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    tenant: str,
    role: str,
    display_name: str = "",
    email: str = "",
    client: str = "",
) -> User:
    require(principal, "users.manage", tenant)
    user = create_user(
        session,
        passwords,
        username=username,
        password=password,
        tenant=tenant,
        role=role,
        display_name=display_name,
        email=email,
    )
    audit.record(
        session,
        principal,
        "user.create",
        object_type="user",
        object_id=user.id,
        object_tenant=tenant,
        detail={"username": username, "role": role},
        client=client,
    )
    return user


def change_user(
    session: Session,
    principal: Principal,
    user_id: int,
    changes: dict[str, object],
    client: str = "",
) -> User:
    user = _managed(session, principal, user_id)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            "unknown fields", [Problem("not editable", f"field {n}") for n in unknown]
        )
    role = changes.get("role")
    if role is not None and (role not in {r.value for r in Role} or role == Role.PUBLIC):
        raise InvalidInput(
            "unknown role", [Problem("unknown role {role!r}", "field role", values={"role": role})]
        )
    if user.id == principal.user_id and (
        changes.get("active") is False or role not in (None, user.role)
    ):
        raise Forbidden("administrators cannot disable or demote themselves")
    diff = {k: [getattr(user, k), v] for k, v in changes.items() if getattr(user, k) != v}
    for key, (_old, new) in diff.items():
        setattr(user, key, new)
    if diff:
        audit.record(
            session,
            principal,
            "user.update",
            object_type="user",
            object_id=user.id,
            object_tenant=user.tenant,
            detail={"changes": diff},
            client=client,
        )
    session.flush()
    return user


def reset_password(
    session: Session,
    principal: Principal,
    passwords: Passwords,
    user_id: int,
    password: str,
    client: str = "",
) -> User:
    user = _managed(session, principal, user_id)
    set_password(session, passwords, user, password)
    audit.record(
        session,
        principal,
        "user.password_reset",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        client=client,
    )
    return user


def reset_mfa(
    session: Session, principal: Principal, user_id: int, now: datetime, client: str = ""
) -> User:
    """Remove a user's second factor (a lost phone); they enrol again at their next login."""
    user = _managed(session, principal, user_id)
    mfa.remove(session, principal, user, now, client)
    return user


def change_own_password(
    session: Session,
    principal: Principal,
    passwords: Passwords,
    current: str,
    new: str,
    client: str = "",
) -> User:
    """A user's new password, given their current one (the policy applies; sessions end)."""
    user = session.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise Forbidden("only a logged-in user has a second factor and a password")
    if not passwords.verify(user.password_hash, current):
        raise InvalidInput(
            "wrong password", [Problem("not your current password", "field current")]
        )
    set_password(session, passwords, user, new)
    audit.record(
        session,
        principal,
        "user.password_change",
        object_type="user",
        object_id=user.id,
        object_tenant=user.tenant,
        client=client,
    )
    return user
