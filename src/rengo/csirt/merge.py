"""Merging incidents that turn out to be one, and splitting off alerts that are another.

Merging moves everything (alerts, timeline, tasks, evidence, actions, pages, indicators,
assets, wards) into the surviving incident and closes the others with a pointer to it;
the survivor keeps the earliest detection and containment times, so that MTTC is not
flattered by a merge. Splitting moves chosen alerts, with their timeline entries and
indicators, to a new incident.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from rengo.core import audit
from rengo.core.acting import Acting
from rengo.core.errors import Conflict, InvalidInput, Problem
from rengo.csirt import indicators, timeline
from rengo.csirt.incidents import asset_ids_of, get_incident, refresh, set_wards, wards_of
from rengo.csirt.models import (
    ContainmentAction,
    Evidence,
    Incident,
    IncidentAlert,
    IncidentAsset,
    Indicator,
    Task,
    TimelineEntry,
)
from rengo.notify.models import OnCallPage

MOVED_WITH_INCIDENT = (IncidentAlert, TimelineEntry, Task, Evidence, ContainmentAction, OnCallPage)


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def merge(by: Acting, target_id: int, source_ids: list[int], *, reason: str) -> Incident:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    target = get_incident(session, principal, target_id, "csirt.incidents.write")
    if target.merged_into_id is not None or target.status == "closed":
        raise Conflict("{ref} is closed; merge into an open incident", values={"ref": target.ref})
    sources = []
    for source_id in dict.fromkeys(source_ids):
        if source_id == target.id:
            raise InvalidInput(
                "cannot merge an incident into itself",
                [Problem(str(source_id), "field incident_ids")],
            )
        source = get_incident(session, principal, source_id, "csirt.incidents.write")
        if source.merged_into_id is not None:
            raise Conflict(
                "{ref} was already merged into INC-{merged_into_id:06d}",
                values={"ref": source.ref, "merged_into_id": source.merged_into_id},
            )
        sources.append(source)
    wards = set(wards_of(session, target.id))
    assets = set(asset_ids_of(session, target.id))
    for source in sources:
        wards |= set(wards_of(session, source.id))
        assets |= set(asset_ids_of(session, source.id))
        for model in MOVED_WITH_INCIDENT:
            session.execute(
                update(model).where(model.incident_id == source.id).values(incident_id=target.id)
            )
        moved = [
            indicators.Found(i.kind, i.value, i.internal)
            for i in indicators.listed(session, source.id)
        ]
        indicators.record(session, target.id, moved, f"merged:{source.ref}", now)
        session.execute(delete(Indicator).where(Indicator.incident_id == source.id))
        session.execute(delete(IncidentAsset).where(IncidentAsset.incident_id == source.id))
        target.detected_at = min(target.detected_at, source.detected_at)
        target.occurred_at = _earliest(target.occurred_at, source.occurred_at)
        target.acknowledged_at = _earliest(target.acknowledged_at, source.acknowledged_at)
        target.contained_at = _earliest(target.contained_at, source.contained_at)
        if source.people_affected is not None:
            target.people_affected = max(target.people_affected or 0, source.people_affected)
        if target.outage_started_at is None and source.outage_started_at is not None:
            target.outage_system = source.outage_system
            target.outage_started_at, target.outage_ended_at = (
                source.outage_started_at,
                source.outage_ended_at,
            )
        source.status, source.closed_at, source.merged_into_id = "closed", now, target.id
        source.cause = source.cause or f"Merged into {target.ref}"
        source.version += 1
        timeline.add(
            session,
            source.id,
            "status",
            f"Merged into {target.ref}: {reason}",
            actor=principal.label,
            at=now,
            detail={"merged_into": target.id},
        )
    set_wards(session, target, sorted(wards))
    session.add_all(
        IncidentAsset(incident_id=target.id, asset_id=a)
        for a in sorted(assets - set(asset_ids_of(session, target.id)))
    )
    target.version += 1
    target.updated_at = now
    refs = ", ".join(s.ref for s in sources)
    timeline.add(
        session,
        target.id,
        "system",
        f"Merged {refs} into this incident: {reason}",
        actor=principal.label,
        at=now,
        detail={"merged": [s.id for s in sources]},
    )
    audit.record(
        session,
        principal,
        "csirt.incident.merge",
        object_type="incident",
        object_id=target.id,
        object_tenant=target.lead_ward,
        client=client,
        detail={"merged": [s.id for s in sources], "reason": reason},
    )
    refresh(session, target, settings, now, actor=principal.label)
    return target


def split(
    by: Acting, incident_id: int, alert_ids: list[str], *, title: str, reason: str
) -> Incident:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    source = get_incident(session, principal, incident_id, "csirt.incidents.write")
    if source.status == "closed":
        raise Conflict("{ref} is closed", values={"ref": source.ref})
    rows = list(
        session.scalars(select(IncidentAlert).where(IncidentAlert.incident_id == source.id))
    )
    chosen = [r for r in rows if r.alert_id in set(alert_ids)]
    missing = set(alert_ids) - {r.alert_id for r in chosen}
    if missing:
        raise InvalidInput(
            "alerts not in this incident",
            [
                Problem(
                    "{alert} is not in {ref}",
                    "field alert_ids",
                    values={"alert": a, "ref": source.ref},
                )
                for a in sorted(missing)
            ],
        )
    if len(chosen) == len(rows):
        raise InvalidInput(
            "nothing would be left", [Problem("keep at least one alert", "field alert_ids")]
        )
    first_events = [r.first_event_at for r in chosen if r.first_event_at is not None]
    new = Incident(
        title=title,
        description=f"Split from {source.ref}: {reason}",
        category=source.category,
        urgency=source.urgency,
        impact=1,
        severity="low",
        status="triage",
        lead_ward=chosen[0].ward,
        source="split",
        reported_by=principal.label,
        occurred_at=min(first_events) if first_events else None,
        detected_at=min(r.detected_at for r in chosen),
        acknowledged_at=now,
        origin=source.origin,
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    set_wards(session, new, sorted({r.ward for r in chosen}))
    moving = {r.alert_id for r in chosen}
    for row in chosen:
        row.incident_id = new.id
    for entry in session.scalars(
        select(TimelineEntry).where(
            TimelineEntry.incident_id == source.id, TimelineEntry.kind.in_(("alert", "event"))
        )
    ):
        if entry.detail.get("alert_id") in moving:
            entry.incident_id = new.id
    sources = [f"alert:{a}" for a in moving]
    for item in session.scalars(
        select(Indicator).where(Indicator.incident_id == source.id, Indicator.source.in_(sources))
    ):
        item.incident_id = new.id
    timeline.add(
        session,
        new.id,
        "status",
        f"Split from {source.ref}: {reason}",
        actor=principal.label,
        at=now,
        detail={"from": "new", "to": "triage", "split_from": source.id},
    )
    timeline.add(
        session,
        source.id,
        "system",
        f"Split {len(chosen)} alert(s) off into {new.ref}: {reason}",
        actor=principal.label,
        at=now,
        detail={"split_to": new.id, "alerts": sorted(moving)},
    )
    source.version += 1
    audit.record(
        session,
        principal,
        "csirt.incident.split",
        object_type="incident",
        object_id=source.id,
        object_tenant=source.lead_ward,
        client=client,
        detail={"new": new.id, "alerts": sorted(moving), "reason": reason},
    )
    refresh(session, new, settings, now, actor=principal.label)
    refresh(session, source, settings, now, actor=principal.label)
    return new
