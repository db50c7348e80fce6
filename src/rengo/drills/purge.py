"""Removing what an exercise left: exactly its rows and lake events, nothing else.

``purge`` deletes the exercise's lake events (``source=exercise:<id>``), the alerts and
incidents tagged with its id and every row that hangs off them (found from the foreign
keys of the tables, so a table added later is covered), its ingest tokens, and the
exercise itself. ``clean_up`` (abort) does the same but keeps the exercise row and its
inject log, marked aborted, as the record that it was started and stopped. The audit
trail is append-only and keeps its entries; the purge itself is audited.

The lake goes first: if the database part then fails, running the purge again finds
the exercise and finishes; the lake part finds nothing left and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import Base, Database
from rengo.core.errors import Conflict
from rengo.core.identity import ApiToken
from rengo.core.permissions import Principal, require
from rengo.core.storage import DataDir
from rengo.csirt.models import Incident
from rengo.drills.models import Exercise, FollowUp, Result
from rengo.drills.scoring import affected, lake_of, source_of
from rengo.drills.service import lock_exercise
from rengo.soc.alerts_models import Alert
from rengo.soc.lake_purge import drop_source

CLEAN_UP_ATTEMPTS = 5


@dataclass(frozen=True)
class PurgeReport:
    exercise: str
    events: int
    alerts: int
    incidents: int
    rows: int
    """Every database row deleted (exercise tables and dependents included)."""


def _referencing(table: Table) -> list[tuple[Table, str]]:
    """(table, column) pairs whose foreign key points at ``table``'s ``id``."""
    out = []
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and fk.column.name == "id":
                out.append((other, fk.parent.name))
    return out


def delete_tree(session: Session, table: Table, ids: Iterable[int]) -> int:
    """Delete rows of ``table`` with these ids and, first, every row that refers to them."""
    ids = sorted(set(ids))
    if not ids:
        return 0
    deleted = 0
    for other, column in _referencing(table):
        if other is table:  # self-reference (merged incidents, campaign members): unlink
            session.execute(other.update().where(other.c[column].in_(ids)).values({column: None}))
            continue
        child_ids = (
            list(session.scalars(select(other.c.id).where(other.c[column].in_(ids))))
            if "id" in other.c and other.c.id.primary_key
            else None
        )
        if child_ids is not None:
            deleted += delete_tree(session, other, child_ids)
        else:
            deleted += affected(session.execute(delete(other).where(other.c[column].in_(ids))))
    deleted += affected(session.execute(delete(table).where(table.c.id.in_(ids))))
    return deleted


def _caused(session: Session, exercise: Exercise) -> tuple[list[int], list[int]]:
    alerts = list(session.scalars(select(Alert.id).where(Alert.exercise_id == exercise.public_id)))
    incidents = list(
        session.scalars(select(Incident.id).where(Incident.exercise_id == exercise.public_id))
    )
    return alerts, incidents


def _drop_events(data_dir: DataDir, exercise: Exercise, now: datetime) -> int:
    first = exercise.start_at - timedelta(days=1)
    last = (exercise.ended_at or now) + timedelta(days=1)
    return drop_source(
        lake_of(data_dir), source_of(exercise), exercise.wards, first.date(), last.date()
    )


def _remove_caused(
    session: Session, data_dir: DataDir, exercise: Exercise, now: datetime
) -> tuple[int, int, int, int]:
    events = _drop_events(data_dir, exercise, now)
    alerts, incidents = _caused(session, exercise)
    rows = delete_tree(session, Incident.__table__, incidents)  # type: ignore[arg-type]
    rows += delete_tree(session, Alert.__table__, alerts)  # type: ignore[arg-type]
    tokens = list(exercise.token_ids)
    rows += delete_tree(session, ApiToken.__table__, tokens)  # type: ignore[arg-type]
    exercise.token_ids = []
    return events, len(alerts), len(incidents), rows


def purge(
    session: Session, principal: Principal, data_dir: DataDir, public_id: str, now: datetime
) -> PurgeReport:
    """Remove the exercise and everything it caused (not while it runs)."""
    require(principal, "drills.exercises.run")
    exercise = lock_exercise(session, public_id)
    if exercise.status in ("running", "paused"):
        raise Conflict(
            "abort the exercise before purging it (it is {status})",
            values={"status": exercise.status},
        )
    events, alerts, incidents, rows = _remove_caused(session, data_dir, exercise, now)
    rows += delete_tree(session, Exercise.__table__, [exercise.id])  # type: ignore[arg-type]
    audit.record(
        session,
        principal,
        "drills.exercise.purge",
        object_type="drills_exercise",
        object_id=public_id,
        detail={"events": events, "alerts": alerts, "incidents": incidents, "rows": rows},
        at=now,
    )
    session.flush()
    return PurgeReport(public_id, events, alerts, incidents, rows)


def clean_up(session: Session, data_dir: DataDir, exercise: Exercise, now: datetime) -> PurgeReport:
    """What an aborted exercise caused goes; its row and inject log stay, marked aborted."""
    events, alerts, incidents, rows = _remove_caused(session, data_dir, exercise, now)
    for model in (Result, FollowUp):
        rows += affected(session.execute(delete(model).where(model.exercise_id == exercise.id)))
    session.flush()
    return PurgeReport(exercise.public_id, events, alerts, incidents, rows)


def clean_up_aborted(db: Database, data_dir: DataDir, public_id: str, now: datetime) -> bool:
    """``clean_up`` in a transaction of its own, tried again when detection attached an
    event to one of the exercise's alerts meanwhile (its alerts carry the id from their
    creation, so detection may still be adding to them while the abort removes them);
    ``False`` if it never got through (the runner's own clean-up tries again)."""
    for attempt in range(CLEAN_UP_ATTEMPTS):
        try:
            with db.session() as session:
                exercise = lock_exercise(session, public_id)
                clean_up(session, data_dir, exercise, now)
            return True
        except IntegrityError:
            time.sleep(0.2 * (attempt + 1))
    return False
