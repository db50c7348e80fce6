"""The audit chain against a DBA: triggers dropped, rows deleted or forged and re-hashed.

Every test drops the append-only triggers first, as someone with DDL rights (or a restored
backup) can, and asks the server (``GET /api/v1/audit/verify``) whether the log is intact.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from tests.helpers import JOINT, WARD_A, bearer

ALICE = Principal(WARD_A, Role.WARD_IT, username="alice")


def _fill(env: Runtime, n: int) -> None:
    with env.db.session() as session:
        for i in range(n):
            audit.record(session, ALICE, "asset.update", object_type="asset", object_id=i)


def _drop_guard(connection: Connection, dialect: str) -> None:
    if dialect == "postgresql":
        connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
    else:
        connection.execute(text("DROP TRIGGER audit_events_append_only_update"))
        connection.execute(text("DROP TRIGGER audit_events_append_only_delete"))


def _verify(client: TestClient, tokens: Callable[..., str]) -> dict[str, object]:
    response = client.get("/api/v1/audit/verify", headers=bearer(tokens(JOINT, "admin")))
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()
    return result


def _sha256_rehash(connection: Connection, from_id: int) -> None:
    """What an attacker without the key does: the old plain SHA-256 chain, re-hashed onwards
    with rengo's own canonical form (the code is public; only the key is not)."""
    prev = (
        connection.execute(
            text("SELECT row_hash FROM audit_events WHERE id < :id ORDER BY id DESC LIMIT 1"),
            {"id": from_id},
        ).scalar()
        or audit.GENESIS
    )
    with Session(bind=connection, autoflush=False) as session:
        events = session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.id >= from_id)
            .order_by(audit.AuditEvent.id)
        ).all()
        for event in events:
            session.expunge(event)
            event.prev_hash = prev
            digest = audit._row_digest(event, None)
            connection.execute(
                text("UPDATE audit_events SET prev_hash = :p, row_hash = :h WHERE id = :id"),
                {"p": prev, "h": digest, "id": event.id},
            )
            prev = digest
    connection.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev})


def test_an_untouched_log_verifies(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    _fill(env, 30)
    result = _verify(client, tokens)
    assert result["intact"] is True and result["reason"] is None


def test_deleting_the_newest_rows_fails_verification(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    _fill(env, 30)
    with env.db.engine.begin() as connection:
        _drop_guard(connection, env.db.dialect)
        connection.execute(
            text(
                "DELETE FROM audit_events WHERE id IN "
                "(SELECT id FROM audit_events ORDER BY id DESC LIMIT 20)"
            )
        )
    result = _verify(client, tokens)
    assert result["intact"] is False and "newest entries are missing" in str(result["reason"])


def test_deleting_the_newest_rows_and_moving_the_head_fails(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    _fill(env, 30)
    with env.db.engine.begin() as connection:
        _drop_guard(connection, env.db.dialect)
        newest = connection.execute(text("SELECT max(id) FROM audit_events")).scalar_one()
        connection.execute(text("DELETE FROM audit_events WHERE id > :id"), {"id": newest - 20})
        last = connection.execute(
            text("SELECT row_hash FROM audit_events WHERE id = :id"), {"id": newest - 20}
        ).scalar_one()
        connection.execute(
            text("UPDATE audit_head SET last_hash = :h, seq = seq - 20 WHERE id = 1"), {"h": last}
        )
    result = _verify(client, tokens)
    assert result["intact"] is False and "without the audit key" in str(result["reason"])


def test_a_forged_actor_rehashed_onwards_fails_verification(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    _fill(env, 30)
    with env.db.engine.begin() as connection:
        _drop_guard(connection, env.db.dialect)
        first = connection.execute(text("SELECT min(id) FROM audit_events")).scalar_one()
        forged = first + 5
        connection.execute(
            text("UPDATE audit_events SET actor = 'someone else' WHERE id = :id"), {"id": forged}
        )
        _sha256_rehash(connection, forged)
    result = _verify(client, tokens)
    assert result["intact"] is False and result["first_bad_id"] == forged
    assert result["reason"] == "this entry was altered"


def test_the_key_lives_outside_the_database_with_mode_0600(env: Runtime) -> None:
    _fill(env, 1)
    key_file = env.settings.resolved_audit_key_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    secret = json.loads(key_file.read_text())["key"]
    with env.db.engine.connect() as connection:
        for table in ("audit_events", "audit_head"):
            dump = " ".join(str(r) for r in connection.execute(text(f"SELECT * FROM {table}")))
            assert secret not in dump


def test_an_existing_unkeyed_chain_is_anchored_by_the_first_keyed_entry(
    db_url: str, tmp_path: Path
) -> None:
    """An installation from before the key: its SHA-256 entries stay, and are anchored."""
    from tests.conftest import make_settings

    settings = make_settings(tmp_path / "data", db_url)
    legacy = Runtime.from_settings(settings)
    key_file = settings.resolved_audit_key_file()
    key_file.unlink()  # as before the upgrade: no key; entries hashed the old way
    with legacy.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_head SET mac = NULL WHERE id = 1"))
    with legacy.db.session() as session:
        for i in range(3):
            event = audit.AuditEvent(
                at=audit.utcnow(),
                actor="old",
                actor_tenant=WARD_A,
                actor_role="ward_it",
                action="asset.update",
                object_type="asset",
                object_id=str(i),
                detail={},
                client="",
                prev_hash=session.scalar(text("SELECT last_hash FROM audit_head")),
            )
            event.row_hash = audit._row_digest(event, None)
            session.add(event)
            session.execute(
                text("UPDATE audit_head SET last_hash = :h, seq = seq + 1"), {"h": event.row_hash}
            )
    legacy.close()
    upgraded = Runtime.from_settings(settings)  # the first start after the upgrade
    try:
        assert json.loads(key_file.read_text())["legacy_until"] >= 3
        _fill(upgraded, 2)
        with upgraded.db.session() as session:
            assert audit.verify_chain(session).intact
        with upgraded.db.engine.begin() as connection:
            _drop_guard(connection, upgraded.db.dialect)
            first = connection.execute(text("SELECT min(id) FROM audit_events")).scalar_one()
            connection.execute(
                text("UPDATE audit_events SET actor = 'forger' WHERE id = :id"), {"id": first}
            )
            _sha256_rehash(connection, first)
        with upgraded.db.session() as session:
            report = audit.verify_chain(session)
        assert not report.intact and report.first_bad_id is not None
        assert report.first_bad_id > first  # the legacy part re-hashed, the anchor holds
    finally:
        upgraded.close()
