"""The audit log is append-only and its hash chain shows tampering."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from rengo.core import audit
from rengo.core.errors import InvalidInput
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime

ALICE = Principal("131016", Role.WARD_IT, user_id=None, username="alice")


def _fill(env: Runtime, n: int) -> None:
    with env.db.session() as session:
        for i in range(n):
            audit.record(
                session,
                ALICE,
                "asset.read",
                object_type="asset",
                object_id=i,
                object_tenant="131016",
                detail={"i": i, "名前": "資産"},
            )


def test_records_form_an_intact_chain(env: Runtime) -> None:
    _fill(env, 5)
    with env.db.session() as session:
        report = audit.verify_chain(session)
        events = audit.query(session, tenants=None)
    assert report.intact and report.checked == 5
    assert [e.object_id for e in events] == ["4", "3", "2", "1", "0"]  # newest first
    assert all(e.prev_hash == p.row_hash for e, p in itertools.pairwise(events))


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"]
)
def test_update_and_delete_are_refused_by_the_database(env: Runtime, statement: str) -> None:
    _fill(env, 2)
    with pytest.raises(DatabaseError, match="append-only"), env.db.session() as session:
        session.execute(text(statement))
    with env.db.session() as session:
        assert audit.verify_chain(session).checked == 2


def test_tampering_behind_the_databases_back_is_detected(env: Runtime) -> None:
    _fill(env, 4)
    with env.db.engine.begin() as connection:
        # An attacker with DDL rights drops the guard and edits a row.
        if env.db.dialect == "postgresql":
            connection.execute(
                text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            )
        else:
            connection.execute(text("DROP TRIGGER audit_events_append_only_update"))
        connection.execute(
            text("UPDATE audit_events SET actor = 'someone else' WHERE object_id = '2'")
        )
    with env.db.session() as session:
        report = audit.verify_chain(session)
    assert not report.intact and report.checked == 2


def test_concurrent_appenders_keep_one_chain(env: Runtime) -> None:
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            _fill(env, 10)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with env.db.session() as session:
        report = audit.verify_chain(session)
    assert report.intact and report.checked == 40


def test_a_ward_admin_sees_events_by_or_about_their_ward(env: Runtime) -> None:
    _fill(env, 1)
    other = Principal("131024", Role.WARD_IT, username="bob")
    with env.db.session() as session:
        audit.record(
            session, other, "asset.read", object_type="asset", object_id=99, object_tenant="131024"
        )
        mine = audit.query(session, tenants=frozenset({"131016"}))
    assert [e.actor for e in mine] == [ALICE.label]


def test_export_is_excel_friendly_csv(env: Runtime) -> None:
    _fill(env, 2)
    with env.db.session() as session:
        text_ = "".join(audit.export_csv(audit.query(session, tenants=None)))
    assert text_.startswith("\ufeffid,at,actor")
    assert "資産" in text_ and text_.count("\n") == 3


def test_record_many_appends_in_order_under_one_head(env: Runtime) -> None:
    _fill(env, 1)
    entries = [audit.Entry("asset.read", "asset", i, "131016", {"i": i}) for i in range(1, 4)]
    with env.db.session() as session:
        appended = audit.record_many(session, ALICE, entries, client="bulk")
        assert audit.record_many(session, ALICE, []) == []
    assert [e.object_id for e in appended] == ["1", "2", "3"]
    with env.db.session() as session:
        report = audit.verify_chain(session)
        newest = audit.query(session, tenants=None)
    assert report.intact and report.checked == 4
    assert [e.object_id for e in newest] == ["3", "2", "1", "0"]
    assert all(e.client == "bulk" for e in newest[:3])


def test_a_batch_appends_one_entry_listing_what_it_touched(env: Runtime) -> None:
    with env.db.session() as session:
        with audit.batch(
            session, ALICE, "asset.import", object_tenant="131016", detail={"file": "a.csv"}
        ) as gathered:
            for i in range(3):
                assert audit.record(session, ALICE, "asset.create", object_id=i) is None
            with pytest.raises(InvalidInput), gathered.nested():
                audit.record(session, ALICE, "asset.create", object_id=99)
                raise InvalidInput("refused", [])
        with audit.batch(session, ALICE, "asset.import"):
            pass  # nothing recorded: no entry
    with env.db.session() as session:
        (event,) = audit.query(session, tenants=None)
        report = audit.verify_chain(session)
    assert report.intact and report.checked == 1
    assert event.action == "asset.import" and event.object_tenant == "131016"
    assert event.detail["file"] == "a.csv" and event.detail["count"] == 3
    assert [t["object_id"] for t in event.detail["touched"]] == ["0", "1", "2"]
    assert event.detail["touched"][0]["action"] == "asset.create"


def test_a_batch_that_fails_appends_nothing_and_closes(env: Runtime) -> None:
    with env.db.session() as session:
        with pytest.raises(RuntimeError), audit.batch(session, ALICE, "asset.import"):
            audit.record(session, ALICE, "asset.create", object_id=1)
            with audit.batch(session, ALICE, "asset.import"):  # one at a time
                pass
        assert audit.query(session, tenants=None) == []
        # The batch is closed: entries are appended one by one again.
        assert audit.record(session, ALICE, "asset.read", object_id=2) is not None
    with env.db.session() as session:
        assert [e.object_id for e in audit.query(session, tenants=None)] == ["2"]
