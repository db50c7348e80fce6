"""The append-only audit log: who read or changed what, when, from where.

Rows are never updated or deleted (database triggers refuse it, see the core
migration), and each row's hash covers the previous row's hash, so that a gap or an
edit made behind the database's back shows up in ``verify_chain``. Appends are
serialised through the single-row ``audit_head`` table, the same way on SQLite and
PostgreSQL; the head names the newest hash, so that removing the newest rows shows too.

The hashes are HMAC-SHA-256 with a key kept outside the database
(``rengo.core.audit_key``): a DBA who drops the triggers can neither re-hash a forged
row and everything after it nor move the head (its own MAC covers it).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, or_, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from rengo.core import csv_safe
from rengo.core.audit_key import AuditKey, key_file_of
from rengo.core.db import Base, JSONType, UTCDateTime, utcnow
from rengo.core.permissions import Principal
from rengo.core.types import TenantCode

GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_tenant: Mapped[str] = mapped_column(String(8), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64), default="")
    object_id: Mapped[str] = mapped_column(String(128), default="")
    object_tenant: Mapped[str | None] = mapped_column(String(8), index=True, nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    client: Mapped[str] = mapped_column(String(64), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the hash of the latest audit event; its row lock orders appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(Text, default=GENESIS)
    mac: Mapped[str | None] = mapped_column(Text, nullable=True)
    """HMAC of (seq, last_hash) with the audit key; None until the chain is keyed."""


def _row_digest(event: AuditEvent, key: AuditKey | None) -> str:
    """HMAC-SHA-256 with the audit key; plain SHA-256 for entries made before it existed."""
    payload = {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "actor_token_id": event.actor_token_id,
        "actor_tenant": event.actor_tenant,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_tenant": event.object_tenant,
        "detail": event.detail,
        "client": event.client,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return key.mac(canonical)


@dataclass(frozen=True, slots=True)
class Entry:
    """One event to append (``record_many``): what was done to which object."""

    action: str
    object_type: str = ""
    object_id: str | int = ""
    object_tenant: TenantCode | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def record_many(
    session: Session,
    principal: Principal,
    entries: Sequence[Entry],
    *,
    client: str = "",
    at: datetime | None = None,
) -> list[AuditEvent]:
    """Append several events in the caller's transaction, in order, under one lock of the
    head: each row's hash still covers the previous one's, the head names the last."""
    if not entries:
        return []
    # Taking the head row's write lock first serialises appenders on both databases.
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + len(entries))
    )
    head = session.execute(
        select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == 1)
    ).one_or_none()
    if head is None:
        session.add(AuditHead(id=1, seq=len(entries), last_hash=GENESIS))
        session.flush()
        seq, prev = len(entries), GENESIS
    else:
        seq, prev = head
    key = key_file_of(session).load_or_create(session)
    when = at or utcnow()
    events = []
    for entry in entries:
        event = AuditEvent(
            at=when,
            actor=principal.label,
            actor_user_id=principal.user_id,
            actor_token_id=principal.token_id,
            actor_tenant=principal.tenant,
            actor_role=principal.role.value,
            action=entry.action,
            object_type=entry.object_type,
            object_id=str(entry.object_id),
            object_tenant=entry.object_tenant,
            detail=entry.detail,
            client=client,
            prev_hash=prev,
        )
        # The key was made (if need be) under the head lock with legacy_until = the newest
        # id, so these entries' ids are above it: keyed.
        event.row_hash = prev = _row_digest(event, key)
        events.append(event)
    session.add_all(events)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_hash=prev, mac=key.head_mac(seq, prev))
    )
    session.flush()
    return events


_BATCH = "rengo.core.audit.batch"


@dataclass(slots=True)
class Batch:
    """What the events recorded while the batch is open would have said; the batch appends
    them as one entry that lists them (``touched``)."""

    session: Session
    touched: list[dict[str, Any]] = field(default_factory=list)

    @contextmanager
    def nested(self) -> Iterator[None]:
        """A savepoint: when it rolls back, what was recorded inside it is forgotten too."""
        mark = len(self.touched)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            del self.touched[mark:]
            raise


@contextmanager
def batch(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    object_tenant: TenantCode | None = None,
    detail: dict[str, Any] | None = None,
    client: str = "",
) -> Iterator[Batch]:
    """Gather every ``record`` made in ``session`` inside the block into one entry, appended
    when the block ends without an exception (none when nothing was recorded): a bulk job
    (a harvest page) leaves one entry listing what it touched instead of one per object."""
    if _BATCH in session.info:
        raise RuntimeError("an audit batch is already open in this session")
    gathered = Batch(session)
    session.info[_BATCH] = gathered
    try:
        yield gathered
    finally:
        session.info.pop(_BATCH, None)
    if gathered.touched:
        summary = {**(detail or {}), "count": len(gathered.touched), "touched": gathered.touched}
        entry = Entry(action, object_type, object_id, object_tenant, summary)
        record_many(session, principal, [entry], client=client)


def record(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str = "",
    object_id: str | int = "",
    object_tenant: TenantCode | None = None,
    detail: dict[str, Any] | None = None,
    client: str = "",
    at: datetime | None = None,
) -> AuditEvent | None:
    """Append one event in the caller's transaction (it commits or rolls back with it); inside
    an open ``batch`` the event joins the batch's entry instead (and ``None`` is returned)."""
    entry = Entry(action, object_type, object_id, object_tenant, detail or {})
    gathered: Batch | None = session.info.get(_BATCH)
    if gathered is not None:
        gathered.touched.append(
            {
                "action": entry.action,
                "actor": principal.label,
                "object_type": entry.object_type,
                "object_id": str(entry.object_id),
                "object_tenant": entry.object_tenant,
                "detail": entry.detail,
            }
        )
        return None
    return record_many(session, principal, [entry], client=client, at=at)[0]


def record_read(
    session: Session,
    principal: Principal,
    action: str,
    *,
    object_type: str,
    object_id: str | int = "",
    object_tenant: TenantCode | None = None,
    rows: int | None = None,
    client: str = "",
) -> None:
    """A read of a record or a list: one entry per request (a list's size, never its rows)."""
    record(
        session,
        principal,
        action,
        object_type=object_type,
        object_id=object_id,
        object_tenant=object_tenant,
        detail={} if rows is None else {"rows": rows},
        client=client,
    )


@dataclass(frozen=True, slots=True)
class ChainReport:
    checked: int
    first_bad_id: int | None
    reason: str | None = None
    """What does not fit, in words; None when the chain is intact."""

    @property
    def intact(self) -> bool:
        return self.reason is None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order, then compare the newest with the head (and its MAC)."""
    key = key_file_of(session).load()
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(checked, event.id, "an entry before this one is missing")
            row_key = key if key is not None and event.id > key.legacy_until else None
            if _row_digest(event, row_key) != event.row_hash:
                return ChainReport(checked, event.id, "this entry was altered")
            prev, last_id, checked = event.row_hash, event.id, checked + 1
    head = session.get(AuditHead, 1)
    head_hash = head.last_hash if head else GENESIS
    if head_hash != prev:
        return ChainReport(checked, None, "the newest entries are missing (the head names another)")
    if key is not None and head is not None and head.mac != key.head_mac(head.seq, head_hash):
        return ChainReport(checked, None, "the head was rewritten without the audit key")
    return ChainReport(checked, None)


def query(
    session: Session,
    *,
    tenants: frozenset[TenantCode] | None,
    action: str | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first; a ward admin sees events by or about its ward."""
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if tenants is not None:
        stmt = stmt.where(
            or_(AuditEvent.actor_tenant.in_(tenants), AuditEvent.object_tenant.in_(tenants))
        )
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action))
    if actor:
        stmt = stmt.where(AuditEvent.actor.contains(actor))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if since:
        stmt = stmt.where(AuditEvent.at >= since)
    if until:
        stmt = stmt.where(AuditEvent.at < until)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


EXPORT_COLUMNS = (
    "id",
    "at",
    "actor",
    "actor_tenant",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "object_tenant",
    "detail",
    "client",
    "row_hash",
)


def export_csv(events: Iterable[AuditEvent]) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM first, so that Excel opens Japanese text correctly)."""
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer)
    yield "\ufeff"
    writer.writerow(EXPORT_COLUMNS)
    for event in events:
        writer.writerow(
            [
                event.id,
                event.at.isoformat(),
                event.actor,
                event.actor_tenant,
                event.actor_role,
                event.action,
                event.object_type,
                event.object_id,
                event.object_tenant or "",
                json.dumps(event.detail, ensure_ascii=False),
                event.client,
                event.row_hash,
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


APPEND_ONLY_SQLITE = [
    """CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER audit_events_append_only_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION rengo_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION rengo_audit_append_only()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION rengo_audit_append_only()""",
]


def install_append_only_guard(session_or_conn: Any, dialect: str) -> None:
    """Create the triggers that refuse UPDATE/DELETE (used by the core migration)."""
    statements = APPEND_ONLY_POSTGRESQL if dialect == "postgresql" else APPEND_ONLY_SQLITE
    for statement in statements:
        session_or_conn.execute(text(statement))
