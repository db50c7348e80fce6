"""Hunting: match indicators as events land (live) and over past events (retro-hunts).

Events come from the SOC lake (``rengo.soc.lake.Lake``): retro-hunts read every stored
event of the past N days, live matching follows the lake's commit log from a cursor kept
in ``intel_state``. Each hit becomes a sighting of the indicator for that ward (once per
indicator, event and field) and is handed to the SOC as an alert when the SOC offers it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import Database
from rengo.core.permissions import SYSTEM, Principal, narrow_to_visible
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.intel import matching
from rengo.intel.access import OWNER_ONLY_LEVELS
from rengo.intel.models import Hunt, IntelState, Sighting
from rengo.soc.lake import Lake

log = logging.getLogger(__name__)
CURSOR_KEY = "live_match_cursor"


def lake(data_dir: DataDir) -> Lake:
    return Lake(data_dir.lake("soc"))


def events_source(data_dir: DataDir) -> str | None:
    """A DuckDB FROM expression over every stored event, or None when the lake is empty."""
    return lake(data_dir).events_source()


def record_hits(
    session: Session,
    hits: Sequence[matching.Hit],
    *,
    via: str,
    now: datetime,
    settings: Settings | None = None,
) -> int:
    """Store new sightings (a hit seen before is ignored); return how many are new."""
    if not hits:
        return 0
    rows = [
        {
            "ward": h.ward,
            "stix_id": h.stix_id,
            "indicator_name": h.name[:300],
            "kind": h.kind,
            "value": h.value,
            "field": h.field,
            "event_id": h.event_id,
            "event_time": h.event_time.astimezone(UTC),
            "found_at": now,
            "via": via,
            "tlp": h.tlp,
        }
        for h in hits
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    before = session.scalar(select(func.max(Sighting.id))) or 0
    for start in range(0, len(rows), 5000):
        statement = insert(Sighting).on_conflict_do_nothing(
            index_elements=["ward", "stix_id", "event_id", "field"]
        )
        session.execute(statement, rows[start : start + 5000])
    new = list(
        session.execute(
            select(
                Sighting.ward,
                Sighting.stix_id,
                Sighting.indicator_name,
                Sighting.kind,
                Sighting.value,
                Sighting.field,
                Sighting.event_id,
                Sighting.event_time,
                Sighting.tlp,
            ).where(Sighting.id > before)
        )
    )
    if new and settings is not None:
        origins = {h.event_id: h.origin for h in hits}
        found = [matching.Hit(*row) for row in new]
        found = [replace(h, origin=origins.get(h.event_id, "real")) for h in found]
        _raise_soc_alerts(session, settings, found, now)
    return len(new)


def _raise_soc_alerts(
    session: Session, settings: Settings, hits: Sequence[matching.Hit], now: datetime
) -> None:
    """Hand new hits to the SOC alert queue (``rengo.soc.alerts.raise_alert``).

    One alert per ward and indicator, with every matched event, linked to the indicator.
    """
    from rengo.soc.alerts import raise_alert  # the SOC's queue, loaded when hits need it
    from rengo.soc.detect.settings import DetectSettings

    detect_settings = settings.section(DetectSettings)
    grouped: dict[tuple[str, str], list[matching.Hit]] = {}
    for hit in hits:
        grouped.setdefault((hit.ward, hit.stix_id), []).append(hit)
    for (ward, stix_id), group in grouped.items():
        first = group[0]
        title = f"Shared indicator seen: {first.name or first.value}"
        if first.tlp in OWNER_ONLY_LEVELS:
            # The queue is the joint centre's too: a TLP:RED/AMBER+STRICT value stays out of it.
            title, stix_id = (
                f"Your ward's own TLP:{first.tlp.upper()} indicator seen (see the hub)",
                "",
            )
        raise_alert(
            session,
            SYSTEM,
            detect_settings,
            ward=ward,
            level="high",
            title=title[:300],
            time=max(h.event_time for h in group),
            event_ids=sorted({h.event_id for h in group}),
            source="intel",
            indicator=stix_id or None,
            rule_id=f"intel:{stix_id or 'own'}"[:64],
            now=now,
            origin=_origin_of(group),
        )


def _origin_of(hits: Sequence[matching.Hit]) -> str:
    """An alert is real if one of its events is; else exercise, else demo."""
    origins = {h.origin for h in hits}
    return next((o for o in ("real", "exercise", "demo") if o in origins), "real")


def run_hunt(
    db: Database, settings: Settings, data_dir: DataDir, hunt_id: int, now: datetime
) -> Hunt:
    """Run one queued retro-hunt to the end (state, counts and errors are recorded)."""
    with db.session() as session:
        hunt = session.get(Hunt, hunt_id)
        assert hunt is not None
        hunt.state, hunt.started_at = "running", now
        since_indicators, days = hunt.indicators_since, hunt.days
    try:
        with db.session() as session:
            tables = matching.indicator_tables(
                matching.live_values(session, now, added_since=since_indicators)
            )
        source = events_source(data_dir)
        hits: list[matching.Hit] = []
        scanned = 0
        if source is not None and tables.size:
            hits, scanned = matching.match(
                source, tables, since=now - timedelta(days=days), until=now
            )
        with db.session() as session:
            new = record_hits(session, hits, via="retro", now=now, settings=settings)
            hunt = session.get(Hunt, hunt_id)
            assert hunt is not None
            hunt.state, hunt.finished_at = "done", datetime.now(UTC)
            hunt.indicators, hunt.events, hunt.hits = tables.size, scanned, new
            audit.record(
                session,
                SYSTEM,
                "intel.hunt.run",
                object_type="intel_hunt",
                object_id=hunt_id,
                detail={"indicators": tables.size, "events": scanned, "hits": new},
            )
            return hunt
    except Exception as exc:  # a failed hunt is recorded and shown, it must not stop others
        log.exception("retro-hunt %s failed", hunt_id)
        with db.session() as session:
            hunt = session.get(Hunt, hunt_id)
            assert hunt is not None
            hunt.state, hunt.error = "failed", f"{type(exc).__name__}: {exc}"
            return hunt


def run_queued_hunts(
    db: Database, settings: Settings, data_dir: DataDir, now: datetime
) -> list[Hunt]:
    with db.session() as session:
        ids = list(session.scalars(select(Hunt.id).where(Hunt.state == "queued").order_by(Hunt.id)))
    return [run_hunt(db, settings, data_dir, hunt_id, now) for hunt_id in ids]


def _cursor(session: Session) -> dict[str, Any]:
    state = session.get(IntelState, CURSOR_KEY)
    return json.loads(state.value) if state else {}


def _save_cursor(session: Session, cursor: dict[str, Any]) -> None:
    state = session.get(IntelState, CURSOR_KEY)
    if state is None:
        session.add(IntelState(key=CURSOR_KEY, value=json.dumps(cursor)))
    else:
        state.value = json.dumps(cursor)


def match_new_events(db: Database, settings: Settings, data_dir: DataDir, now: datetime) -> int:
    """Match the events the lake committed since the last call; return the new sightings."""
    with db.session() as session:
        cursor = _cursor(session)
        tables = matching.indicator_tables(matching.live_values(session, now))
    batches, position = lake(data_dir).changes(
        int(cursor.get("seq", 0)), columns=list(matching.EVENT_COLUMNS)
    )
    hits: list[matching.Hit] = []
    if batches and tables.size:
        hits, _ = matching.match(pa.Table.from_batches(batches), tables)
    with db.session() as session:
        new = record_hits(session, hits, via="live", now=now, settings=settings)
        _save_cursor(session, {"seq": position})
    return new


def visible_sightings(principal: Principal, ward: TenantCode | None = None) -> Select[Sighting]:
    """Sightings the principal may see: its ward's (all for the joint centre), except that a
    hit of a TLP:RED/AMBER+STRICT indicator stays with the ward that owns the indicator."""
    tenants = narrow_to_visible(principal, "intel.sightings.read", ward)
    stmt = select(Sighting)
    if tenants is not None:
        stmt = stmt.where(Sighting.ward.in_(tenants))
    return stmt.where(
        or_(Sighting.tlp.not_in(OWNER_ONLY_LEVELS), Sighting.ward == principal.tenant)
    )
