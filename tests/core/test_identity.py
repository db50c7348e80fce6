"""Passwords, throttling, API tokens and web sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from rengo.core.db import utcnow
from rengo.core.errors import Conflict, InvalidInput, TooManyAttempts
from rengo.core.identity import (
    ApiToken,
    Passwords,
    authenticate,
    create_token,
    create_user,
    revoke_token,
    session_for_cookie,
    start_session,
    token_for_secret,
)
from rengo.core.runtime import Runtime

PASSWORD = "correct horse battery"


@pytest.fixture
def passwords(env: Runtime) -> Passwords:
    return Passwords.from_settings(env.settings)


def _user(env: Runtime, passwords: Passwords, name: str = "alice") -> None:
    with env.db.session() as session:
        create_user(
            session, passwords, username=name, password=PASSWORD, tenant="131016", role="ward_it"
        )


def test_password_is_hashed_with_argon2_and_verified(env: Runtime, passwords: Passwords) -> None:
    _user(env, passwords)
    with env.db.session() as session:
        stored = session.execute(text("SELECT password_hash FROM users")).scalar_one()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert authenticate(session, passwords, env.settings, username="alice", password=PASSWORD)
        assert (
            authenticate(session, passwords, env.settings, username="alice", password="wrong!")
            is None
        )
        assert (
            authenticate(session, passwords, env.settings, username="nobody", password=PASSWORD)
            is None
        )


def test_weak_passwords_duplicates_and_bad_roles_are_refused(
    env: Runtime, passwords: Passwords
) -> None:
    _user(env, passwords)
    with env.db.session() as session:
        with pytest.raises(InvalidInput, match="at least 10 characters"):
            create_user(
                session, passwords, username="b", password="short", tenant="131016", role="ward_it"
            )
        with pytest.raises(Conflict):
            create_user(
                session,
                passwords,
                username="alice",
                password=PASSWORD,
                tenant="131016",
                role="ward_it",
            )
        with pytest.raises(InvalidInput) as error:
            create_user(
                session, passwords, username="c", password=PASSWORD, tenant="999999", role="king"
            )
        assert {p.location for p in error.value.problems} == {"field role", "field tenant"}


def test_login_is_throttled_after_repeated_failures_then_released(
    env: Runtime, passwords: Passwords
) -> None:
    _user(env, passwords)
    now = utcnow()
    limit = env.settings.web.login_max_failures
    with env.db.session() as session:
        for _ in range(limit):
            assert (
                authenticate(
                    session,
                    passwords,
                    env.settings,
                    username="alice",
                    password="bad-guess-1",
                    now=now,
                )
                is None
            )
        # Even the right password is refused while throttled: guessing gets no signal.
        with pytest.raises(TooManyAttempts):
            authenticate(
                session, passwords, env.settings, username="alice", password=PASSWORD, now=now
            )
        later = now + timedelta(minutes=env.settings.web.login_lockout_minutes, seconds=1)
        assert authenticate(
            session, passwords, env.settings, username="alice", password=PASSWORD, now=later
        )


def test_password_spraying_from_one_client_is_throttled(env: Runtime, passwords: Passwords) -> None:
    now = utcnow()
    limit = env.settings.web.login_max_failures * 4
    with env.db.session() as session:
        for i in range(limit):
            authenticate(
                session,
                passwords,
                env.settings,
                username=f"user{i}",
                password="Spring2026!",
                client="203.0.113.9",
                now=now,
            )
        with pytest.raises(TooManyAttempts):
            authenticate(
                session,
                passwords,
                env.settings,
                username="another",
                password="x" * 12,
                client="203.0.113.9",
                now=now,
            )


def test_tokens_are_stored_hashed_scoped_revocable_and_expire(env: Runtime) -> None:
    with env.db.session() as session:
        token, plaintext = create_token(session, tenant="131024", role="soc_analyst", name="siem")
        token_id = token.id
    with env.db.session() as session:
        stored = session.scalar(select(ApiToken.token_hash).where(ApiToken.id == token_id))
        assert plaintext not in (stored or "") and len(stored or "") == 64
        found = token_for_secret(session, plaintext)
        assert found is not None and found.principal().tenant == "131024"
        assert found.principal().role.value == "soc_analyst"
        assert token_for_secret(session, plaintext + "x") is None
        assert token_for_secret(session, "not-a-token") is None
        revoke_token(session, token_id)
        assert token_for_secret(session, plaintext) is None
        _expiring, secret2 = create_token(
            session, tenant="131016", role="ward_it", expires_at=utcnow() + timedelta(hours=1)
        )
        assert token_for_secret(session, secret2) is not None
        assert token_for_secret(session, secret2, utcnow() + timedelta(hours=2)) is None


def test_web_sessions_expire(env: Runtime, passwords: Passwords) -> None:
    _user(env, passwords)
    with env.db.session() as session:
        user = authenticate(session, passwords, env.settings, username="alice", password=PASSWORD)
        assert user is not None
        raw, web_session = start_session(session, user, env.settings)
        assert session_for_cookie(session, raw) is not None
        assert session_for_cookie(session, "forged") is None
        too_late = web_session.expires_at + timedelta(seconds=1)
        assert session_for_cookie(session, raw, too_late) is None
