"""Login throttling as backoff, not lockout: by account, by address and by both; on both databases.

The attacks of issue 10: 50 wrong passwords must not keep the owner out; a ward behind one
gateway must not lock its staff out; spraying from one address is slowed; an untouched
account is never slowed; the state lives in the database (another runtime sees it).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.errors import TooManyAttempts
from rengo.core.identity import Passwords, User, authenticate, create_user
from rengo.core.login_throttle import LoginAttempt
from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
OFFICE = "10.1.0.5"


@pytest.fixture
def passwords(env: Runtime) -> Passwords:
    return Passwords.from_settings(env.settings)


def _users(env: Runtime, passwords: Passwords, *names: str) -> None:
    with env.db.session() as session:
        for name in names:
            create_user(
                session,
                passwords,
                username=name,
                password=PASSWORD,
                tenant="131016",
                role="ward_it",
            )


def _try(
    session: Session,
    passwords: Passwords,
    settings: Settings,
    username: str,
    client: str,
    at: datetime,
    password: str = "not the password",  # noqa: S107 - a wrong guess
) -> User | None:
    return authenticate(
        session, passwords, settings, username=username, password=password, client=client, now=at
    )


def test_fifty_wrong_passwords_from_strangers_do_not_keep_the_owner_out(
    env: Runtime, passwords: Passwords
) -> None:
    _users(env, passwords, "alice", "bob")
    settings = env.settings
    with env.db.session() as session:
        assert _try(session, passwords, settings, "alice", OFFICE, NOW, PASSWORD)  # her desk
        at, guesses = NOW, 0
        while guesses < 50:  # a botnet: wrong passwords from 50 addresses, waiting as told
            try:
                assert (
                    _try(session, passwords, settings, "alice", f"198.51.100.{guesses}", at) is None
                )
                guesses += 1
            except TooManyAttempts as refused:
                at += timedelta(seconds=refused.values["seconds"])
        # Past 20 failures each guess cost a doubling wait: 50 took hours, not seconds.
        assert at - NOW > timedelta(hours=4)
        later = at
        # The owner at her usual address is not slowed at all.
        assert _try(session, passwords, settings, "alice", OFFICE, later, PASSWORD)
        # A new address for the attacked account waits (the 51st guess is not free)…
        with pytest.raises(TooManyAttempts, match="seconds"):
            _try(session, passwords, settings, "alice", "203.0.113.7", later, PASSWORD)
        # …and an account nobody failed on is never slowed.
        assert _try(session, passwords, settings, "bob", "203.0.113.7", later, PASSWORD)


def test_a_sprayer_behind_a_wards_gateway_waits_while_its_staff_log_in(
    env: Runtime, passwords: Passwords
) -> None:
    gateway = "192.0.2.1"
    staff = [f"staff{i}" for i in range(5)]
    targets = [f"target{i}" for i in range(30)]
    _users(env, passwords, *staff, *targets)
    settings = env.settings
    limit = settings.auth.source_max_accounts
    with env.db.session() as session:
        for name in staff:  # they logged in from the gateway this month
            assert _try(
                session, passwords, settings, name, gateway, NOW - timedelta(days=3), PASSWORD
            )
        for name in targets[:limit]:  # one guess per account: password spraying
            assert _try(session, passwords, settings, name, gateway, NOW) is None
        with pytest.raises(TooManyAttempts):
            _try(session, passwords, settings, targets[limit], gateway, NOW)
        for name in staff:
            assert _try(session, passwords, settings, name, gateway, NOW, PASSWORD)
        # Exponential: after waiting one step the sprayer gets one guess, then waits twice as long.
        base = settings.auth.backoff_seconds
        at = NOW + timedelta(seconds=base)
        assert _try(session, passwords, settings, targets[limit], gateway, at) is None
        with pytest.raises(TooManyAttempts):
            _try(
                session,
                passwords,
                settings,
                targets[limit + 1],
                gateway,
                at + timedelta(seconds=base),
            )
        at += timedelta(seconds=2 * base)
        assert _try(session, passwords, settings, targets[limit + 1], gateway, at) is None


def test_backoff_for_one_account_from_one_address_doubles_and_is_capped(
    env: Runtime, passwords: Passwords
) -> None:
    _users(env, passwords, "carol")
    settings = env.settings
    limit = settings.web.login_max_failures
    cap = timedelta(minutes=settings.web.login_lockout_minutes)
    with env.db.session() as session:
        at = NOW
        for _ in range(limit):
            assert _try(session, passwords, settings, "carol", "203.0.113.9", at) is None
        waits: list[timedelta] = []
        for _ in range(14):
            wait = timedelta(seconds=settings.auth.backoff_seconds * 2 ** len(waits))
            wait = min(wait, cap)
            with pytest.raises(TooManyAttempts):  # even the right password, until the wait is over
                _try(session, passwords, settings, "carol", "203.0.113.9", at + wait / 2, PASSWORD)
            at += wait
            assert _try(session, passwords, settings, "carol", "203.0.113.9", at) is None
            waits.append(wait)
        assert waits[:3] == [timedelta(seconds=s) for s in (1, 2, 4)] and waits[-1] == cap
        at += cap
        assert _try(session, passwords, settings, "carol", "203.0.113.9", at, PASSWORD)


def test_the_state_is_in_the_database_so_another_process_sees_it(
    env: Runtime, passwords: Passwords, db_url: str, tmp_path: Any
) -> None:
    _users(env, passwords, "dave")
    settings = env.settings
    with env.db.session() as session:
        for _ in range(settings.web.login_max_failures):
            _try(session, passwords, settings, "dave", "203.0.113.5", NOW)
    other = Runtime.from_settings(make_settings(tmp_path / "other", db_url))
    try:
        with other.db.session() as session, pytest.raises(TooManyAttempts):
            _try(session, passwords, other.settings, "dave", "203.0.113.5", NOW, PASSWORD)
    finally:
        other.close()


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified.append(str(hash))
        return super().verify(hash, password)


def test_unknown_and_known_users_cost_the_same_hashing_work(env: Runtime) -> None:
    hasher = CountingHasher()
    passwords = Passwords(hasher)
    _users(env, passwords, "erin")
    with env.db.session() as session:
        session.get(User, 1)
        for name in ("erin", "nobody-by-this-name"):
            hasher.verified.clear()
            assert _try(session, passwords, env.settings, name, "203.0.113.1", NOW) is None
            assert len(hasher.verified) == 1, name
            params = hasher.verified[0].split("$")[3]  # m=…,t=…,p=…: the same cost for both
            assert params == f"m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"


def test_old_attempts_are_forgotten_when_someone_logs_in(
    env: Runtime, passwords: Passwords
) -> None:
    _users(env, passwords, "frank")
    settings = env.settings
    month_ago = NOW - timedelta(days=settings.auth.trusted_source_days + 1)
    with env.db.session() as session:
        _try(session, passwords, settings, "frank", OFFICE, month_ago, PASSWORD)
        _try(session, passwords, settings, "frank", "203.0.113.3", NOW - timedelta(days=2))
        _try(session, passwords, settings, "frank", "203.0.113.3", NOW - timedelta(hours=1))
        assert _try(session, passwords, settings, "frank", OFFICE, NOW, PASSWORD)
        kept = session.scalars(select(LoginAttempt.at).order_by(LoginAttempt.at)).all()
        assert kept == [NOW - timedelta(hours=1), NOW]
