"""The matchable values of indicators: indexed as indicators arrive, searched by the matcher.

Each new latest version of an indicator replaces the values of its older one; a revoked
indicator or one whose pattern is not matchable leaves none. A value on a warning list
is kept with the reason but never alerts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from rengo.core.permissions import Principal
from rengo.core.wards import ward_codes
from rengo.intel import patterns, store, timestamps
from rengo.intel.access import visible_clause
from rengo.intel.collections import ward_collection_id
from rengo.intel.models import Hunt, IndicatorValue
from rengo.intel.warninglists import WarningLists

CHUNK = 500


def index_rows(
    session: Session, rows: Sequence[dict[str, Any]], warnings: WarningLists, now: datetime
) -> int:
    """Index the indicators among freshly stored rows; return how many values may alert."""
    latest = [r for r in rows if r["type"] == "indicator" and r["is_latest"]]
    if not latest:
        return 0
    ids = [r["stix_id"] for r in latest]
    own_collections = {ward_collection_id(w) for w in ward_codes()}
    for start in range(0, len(ids), CHUNK):
        session.execute(
            delete(IndicatorValue).where(IndicatorValue.stix_id.in_(ids[start : start + CHUNK]))
        )
    values: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in latest:
        obj = json.loads(row["body"])
        if obj.get("revoked") or obj.get("pattern_type") != "stix":
            continue
        valid_until = None
        if isinstance(obj.get("valid_until"), str):
            valid_until = timestamps.parse(obj["valid_until"])
        for atom in patterns.parse(obj.get("pattern", "")).atoms:
            values[(row["stix_id"], atom.kind, atom.value)] = {
                "stix_id": row["stix_id"],
                "name": str(obj.get("name", ""))[:300],
                "kind": atom.kind,
                "value": atom.value,
                "tlp": row["tlp"],
                "owner": row["owner"],
                "audience_all": row["audience_all"],
                "audience": row["audience"],
                "private": row["collection_id"] in own_collections,
                "valid_until": valid_until,
                "warning": warnings.reason(atom),
                "added_at": now,
                "source": row["source"],
            }
    if values:
        store.bulk_insert(session, IndicatorValue.__table__, list(values.values()))
    return sum(1 for v in values.values() if v["warning"] is None)


def forget(session: Session, stix_ids: Sequence[str]) -> None:
    for start in range(0, len(stix_ids), CHUNK):
        session.execute(
            delete(IndicatorValue).where(
                IndicatorValue.stix_id.in_(stix_ids[start : start + CHUNK])
            )
        )


def queue_hunt(
    session: Session, *, since: datetime | None, days: int, reason: str, now: datetime
) -> Hunt:
    """Ask for a retro-hunt of the indicators added since ``since`` over ``days`` of events."""
    pending = session.scalar(select(Hunt).where(Hunt.state == "queued").order_by(Hunt.id).limit(1))
    if pending is not None:
        # One queued hunt covers every indicator that arrives before it starts.
        if pending.indicators_since is not None and (
            since is None or since < pending.indicators_since
        ):
            pending.indicators_since = since
        pending.days = max(pending.days, days)
        return pending
    hunt = Hunt(state="queued", reason=reason, indicators_since=since, days=days, created_at=now)
    session.add(hunt)
    session.flush()
    return hunt


def search(
    session: Session,
    principal: Principal,
    *,
    q: str = "",
    kind: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[IndicatorValue], int]:
    stmt = select(IndicatorValue).where(
        visible_clause(principal, IndicatorValue),
        or_(IndicatorValue.private.is_(False), IndicatorValue.owner == principal.tenant),
    )
    if q:
        stmt = stmt.where(IndicatorValue.value.contains(q.strip().lower()))
    if kind:
        stmt = stmt.where(IndicatorValue.kind == kind)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(IndicatorValue.added_at.desc(), IndicatorValue.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
