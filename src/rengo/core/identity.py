"""Users, passwords, web sessions and API tokens.

Passwords are hashed with argon2id and must pass ``rengo.core.password_policy``; login
throttling is ``rengo.core.login_throttle``. API tokens and session ids are random 256-bit
values, stored only as SHA-256 digests (a digest of a high-entropy secret cannot be
reversed, and a lookup by digest costs one index probe per request).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rengo.core import login_throttle
from rengo.core.db import Base, UTCDateTime, utcnow
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.login_throttle import LoginAttempt
from rengo.core.password_policy import PasswordPolicy, account_words
from rengo.core.permissions import Principal, Role
from rengo.core.settings import Settings
from rengo.core.token_names import check_token_name
from rengo.core.wards import JOINT, is_tenant

__all__ = ["LoginAttempt"]  # re-exported: the table moved to login_throttle
TOKEN_PREFIX = "rgo_"  # noqa: S105 - a public prefix, not a secret
SESSION_FULL, SESSION_MFA, SESSION_ENROL = "full", "mfa", "enrol"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str] = mapped_column(String(256), default="")
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def principal(self) -> Principal:
        return Principal(
            tenant=self.tenant, role=Role(self.role), user_id=self.id, username=self.username
        )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    owner: Mapped[User | None] = relationship(lazy="joined")

    def principal(self) -> Principal:
        return Principal(
            tenant=self.tenant,
            role=Role(self.role),
            token_id=self.id,
            user_id=self.user_id,
            # A personal token acts as its user: the user is shown, never the token's name
            # (a free text, checked by token_names only from now on). A service token has
            # no user; its name, given by an administrator, says what it is.
            username=self.owner.username if self.owner else (self.name or None),
        )


class WebSession(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(8), default=SESSION_FULL, server_default="full")
    """``full``; ``mfa`` (password right, TOTP code asked); ``enrol`` (must enrol first)."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Passwords:
    """argon2id hashing with the cost parameters from settings, and the password policy."""

    hasher: PasswordHasher
    policy: PasswordPolicy = field(default_factory=PasswordPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            PasswordHasher(
                time_cost=settings.password_time_cost,
                memory_cost=settings.password_memory_kib,
            ),
            PasswordPolicy.from_settings(settings),
        )

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def new_hash(self, password: str, *names: str) -> str:
        """The hash of a new password for an account with these names, if the policy allows."""
        self.policy.check(password, account_words(*names))
        return self.hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def verify_nobody(self, password: str) -> None:
        """As much work as ``verify`` for an unknown user: login time tells no user names."""
        self.verify(_dummy_hash(self.hasher), password)


_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


def _check_role_and_tenant(role: str, tenant: str) -> None:
    problems = []
    if role not in {r.value for r in Role} or role == Role.PUBLIC:
        problems.append(Problem("unknown role {role!r}", "field role", values={"role": role}))
    if not is_tenant(tenant):
        problems.append(
            Problem("unknown tenant {tenant!r}", "field tenant", values={"tenant": tenant})
        )
    if problems:
        raise InvalidInput("invalid role or tenant", problems)


def create_user(
    session: Session,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    tenant: str,
    role: str,
    display_name: str = "",
    email: str = "",
    password_hash: str | None = None,
) -> User:
    _check_role_and_tenant(role, tenant)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("user {username!r} exists", values={"username": username})
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        tenant=tenant,
        role=role,
        password_hash=password_hash or passwords.new_hash(password, username, display_name, email),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session,
    passwords: Passwords,
    settings: Settings,
    *,
    username: str,
    password: str,
    client: str = "",
    now: datetime | None = None,
) -> User | None:
    """The user if the password is right; ``None`` if not; raises when throttled.

    Every try is recorded for ``login_throttle``. An unknown or disabled user costs the same
    hashing work as a known one, so that response times do not reveal which names exist.
    """
    now = now or utcnow()
    login_throttle.check(session, settings, username=username, client=client, now=now)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        passwords.verify_nobody(password)
        ok = False
    else:
        ok = passwords.verify(user.password_hash, password)
    login_throttle.record(session, username=username, client=client, at=now, success=ok)
    if not ok or user is None:
        session.flush()
        return None
    user.last_login_at = now
    login_throttle.prune(session, settings, now)
    if passwords.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
    session.flush()
    return user


def needs_mfa(user: User, settings: Settings) -> bool:
    """Whether this account must log in with a second factor (admins and the joint centre)."""
    return settings.auth.mfa_required and (user.role == Role.ADMIN or user.tenant == JOINT)


def set_password(session: Session, passwords: Passwords, user: User, password: str) -> None:
    """A new password (the policy applies); every session of the user ends."""
    user.password_hash = passwords.new_hash(password, user.username, user.display_name, user.email)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()


# -- API tokens --------------------------------------------------------------------


def create_token(
    session: Session,
    *,
    tenant: str,
    role: str,
    name: str = "",
    user_id: int | None = None,
    created_by: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token; the plaintext is returned once and never stored."""
    _check_role_and_tenant(role, tenant)
    check_token_name(session, name)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        token_hash=_digest(plaintext),
        name=name,
        tenant=tenant,
        role=role,
        user_id=user_id,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def token_for_secret(
    session: Session, plaintext: str, now: datetime | None = None
) -> ApiToken | None:
    """The live token with this plaintext, or ``None`` (unknown, revoked or expired)."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Coarse last-use stamp: one write per token per minute at most.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token {token_id} not found", values={"token_id": token_id})
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    session.flush()
    return token


# -- web sessions ------------------------------------------------------------------


PENDING_MINUTES = 15
"""How long a half-done login (code or enrolment still to come) stays usable."""


def start_session(
    session: Session,
    user: User,
    settings: Settings,
    now: datetime | None = None,
    stage: str = SESSION_FULL,
) -> tuple[str, WebSession]:
    """A new session (a new id: a finished MFA step never keeps the half-done one's id)."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    lasts = (
        timedelta(hours=settings.web.session_hours)
        if stage == SESSION_FULL
        else timedelta(minutes=PENDING_MINUTES)
    )
    web_session = WebSession(
        id_hash=_digest(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lasts,
        stage=stage,
    )
    session.add(web_session)
    session.flush()
    return raw, web_session


def session_for_cookie(
    session: Session, raw: str, now: datetime | None = None
) -> tuple[User, WebSession] | None:
    now = now or utcnow()
    web_session = session.get(WebSession, _digest(raw))
    if web_session is None or web_session.expires_at <= now:
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.active:
        return None
    return user, web_session


def end_session(session: Session, raw: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == _digest(raw)))
