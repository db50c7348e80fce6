"""When a login may be tried: exponential backoff by account, by address and by both.

Three counts over the failures of the last ``auth.failure_window_hours`` (the rows of
``login_attempts``, so the state holds across processes and restarts):

- the **pair** (this account from this address), after ``web.login_max_failures``;
- the **account** from every address, after ``auth.account_max_failures``;
- the **address** over distinct accounts (password spraying), after
  ``auth.source_max_accounts``.

Past a threshold each further try waits ``auth.backoff_seconds`` × 2^(excess), at most
``web.login_lockout_minutes``, counted from the last failure: a wait, never a lock that the
right password cannot lift once it is over. The account and address counts never slow a *trusted* pair (the account
logged in from that address within ``auth.trusted_source_days``): a stranger's failures can
slow the stranger, not the account's owner at their usual desk, and a ward behind one
gateway keeps its staff logged in while a sprayer behind the same gateway waits. A success
of the pair clears the pair's count. An account nobody failed on is never slowed by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ColumnElement, Index, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rengo.core.db import Base, UTCDateTime
from rengo.core.errors import TooManyAttempts
from rengo.core.settings import Settings

MAX_EXPONENT = 30  # 2**30 seconds is far past any window: the cap applies


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_client_at", "client", "at"),
        Index("ix_login_attempts_username_client", "username", "client"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    success: Mapped[bool] = mapped_column(Boolean)


def record(session: Session, *, username: str, client: str, at: datetime, success: bool) -> None:
    session.add(LoginAttempt(username=username[:64], client=client[:64], at=at, success=success))


def prune(session: Session, settings: Settings, now: datetime) -> None:
    """Forget what no count looks at any more: failures past the window, successes past trust.

    Called on successful logins (which an attacker cannot cause at will); both deletes walk
    the index on ``at``.
    """
    auth = settings.auth
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.success.is_(False),
            LoginAttempt.at < now - timedelta(hours=auth.failure_window_hours),
        )
    )
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=auth.trusted_source_days))
    )


@dataclass(frozen=True, slots=True)
class Backoff:
    failures: int
    threshold: int
    last_failure: datetime | None

    def wait(self, base_seconds: float, cap: timedelta) -> timedelta:
        if self.failures < self.threshold or self.last_failure is None:
            return timedelta(0)
        exponent = min(self.failures - self.threshold, MAX_EXPONENT)
        return min(timedelta(seconds=base_seconds * 2**exponent), cap)


def _failures(session: Session, *conditions: ColumnElement[bool]) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.success.is_(False), *conditions
        )
    ).one()
    return int(count or 0), last


def _last_success(session: Session, username: str, client: str, since: datetime) -> int | None:
    """The id of the pair's latest success since ``since`` (ids order tries made at one instant)."""
    found: int | None = session.scalar(
        select(func.max(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.client == client,
            LoginAttempt.success.is_(True),
            LoginAttempt.at >= since,
        )
    )
    return found


def check(
    session: Session, settings: Settings, *, username: str, client: str, now: datetime
) -> None:
    """Raise ``TooManyAttempts`` (with the wait in seconds) if this try must wait."""
    auth = settings.auth
    cap = timedelta(minutes=settings.web.login_lockout_minutes)
    since = now - timedelta(hours=auth.failure_window_hours)
    trusted_since = now - timedelta(days=auth.trusted_source_days)
    last_pair_success = _last_success(session, username, client, trusted_since)
    pair_conditions = [
        LoginAttempt.username == username,
        LoginAttempt.client == client,
        LoginAttempt.at >= since,
    ]
    if last_pair_success is not None:  # a success clears the pair's count
        pair_conditions.append(LoginAttempt.id > last_pair_success)
    pair = _failures(session, *pair_conditions)
    backoffs = [Backoff(pair[0], settings.web.login_max_failures, pair[1])]
    if last_pair_success is None:
        account = _failures(session, LoginAttempt.username == username, LoginAttempt.at >= since)
        backoffs.append(Backoff(account[0], auth.account_max_failures, account[1]))
        accounts, last = session.execute(
            select(func.count(func.distinct(LoginAttempt.username)), func.max(LoginAttempt.at))
            .where(LoginAttempt.client == client, LoginAttempt.at >= since)
            .where(LoginAttempt.success.is_(False))
        ).one()
        backoffs.append(Backoff(int(accounts or 0), auth.source_max_accounts, last))
    waits = [
        (b.last_failure + b.wait(auth.backoff_seconds, cap) - now)
        for b in backoffs
        if b.last_failure is not None and b.wait(auth.backoff_seconds, cap) > timedelta(0)
    ]
    longest = max(waits, default=timedelta(0))
    if longest > timedelta(0):
        seconds = max(1, int(longest.total_seconds() + 0.999))
        raise TooManyAttempts(
            "too many failed logins; try again in {seconds} seconds", values={"seconds": seconds}
        )
