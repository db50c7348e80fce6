"""Changing an incident: its recorded facts (optimistic versioning, every change on the
timeline and in the audit log), its status through the life cycle, the review, notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from rengo.core import audit
from rengo.core.acting import Acting
from rengo.core.errors import Conflict, InvalidInput, Problem, ProblemList
from rengo.core.wards import ward_codes
from rengo.csirt import incidents, indicators, lifecycle, timeline
from rengo.csirt.models import Incident
from rengo.csirt.schemas import IncidentPatch
from rengo.csirt.vocabulary import STATUSES

TRACKED_FIELDS = (
    "title",
    "description",
    "category",
    "urgency",
    "occurred_at",
    "people_affected",
    "outage_system",
    "outage_started_at",
    "outage_ended_at",
    "cause",
    "report_summary",
    "lessons",
)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def update_incident(
    by: Acting, incident_id: int, patch: IncidentPatch, *, expected_version: int | None = None
) -> Incident:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    incident = incidents.get_incident(session, principal, incident_id, "csirt.incidents.write")
    if expected_version is not None and expected_version != incident.version:
        raise Conflict(
            "{ref} changed meanwhile (version {version}); reload",
            values={"ref": incident.ref, "version": incident.version},
        )
    values = patch.model_dump(exclude_unset=True)
    problems = ProblemList()
    merged = {
        name: values.get(name, getattr(incident, name))
        for name in ("occurred_at", "outage_started_at", "outage_ended_at")
    }
    incidents.check_times(SimpleNamespace(**merged), now, problems)
    if "wards" in values:
        if not values["wards"]:
            problems.add("at least one ward", "field wards")
        incidents.check_wards(principal, values["wards"], problems)
    problems.raise_if_any("{ref} cannot be changed", values={"ref": incident.ref})
    changes: dict[str, Any] = {}
    for name in TRACKED_FIELDS:
        if name in values and values[name] != getattr(incident, name):
            changes[name] = [_jsonable(getattr(incident, name)), _jsonable(values[name])]
            setattr(incident, name, values[name])
    wards = incidents.wards_of(session, incident.id)
    if "wards" in values and sorted(set(values["wards"])) != wards:
        for ward in sorted(set(values["wards"]) - set(wards)):
            # A ward may share its incident with another ward; only the centre may drop one.
            if ward not in ward_codes():
                raise InvalidInput("unknown ward", [Problem(ward, "field wards")])
        if not principal.is_joint and principal.tenant not in values["wards"]:
            raise InvalidInput(
                "a ward cannot remove itself from its incident",
                [Problem("keep your own ward", "field wards")],
            )
        changes["wards"] = [wards, sorted(set(values["wards"]))]
        wards = sorted(set(values["wards"]))
        incidents.set_wards(session, incident, wards)
        if incident.lead_ward not in wards:
            incident.lead_ward = wards[0]
    if "asset_ids" in values:
        before = incidents.asset_ids_of(session, incident.id)
        incidents.set_assets(session, principal, incident, values["asset_ids"], wards)
        if sorted(set(values["asset_ids"])) != before:
            changes["asset_ids"] = [before, sorted(set(values["asset_ids"]))]
    if not changes:
        return incident
    incident.version += 1
    incident.updated_at = now
    summary = "Changed " + ", ".join(sorted(changes))
    timeline.add(
        session,
        incident.id,
        "system",
        summary,
        actor=principal.label,
        at=now,
        detail={"changes": changes},
    )
    audit.record(
        session,
        principal,
        "csirt.incident.update",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
        detail={"changes": changes},
    )
    for text_field in ("description", "cause", "report_summary"):
        if text_field in changes:
            found = indicators.extract(getattr(incident, text_field))
            indicators.record(session, incident.id, found, text_field, now)
    incidents.refresh(session, incident, settings, now, actor=principal.label)
    return incident


def transition(by: Acting, incident_id: int, to: str, reason: str) -> Incident:
    session, principal, now = by.session, by.principal, by.now
    settings, client = by.settings, by.client
    incident = incidents.get_incident(session, principal, incident_id, "csirt.incidents.write")
    if to not in STATUSES:
        raise InvalidInput("unknown status", [Problem("{to!r}", "field to", values={"to": to})])
    if not reason.strip():
        raise InvalidInput("say why", [Problem("a reason is required", "field reason")])
    lifecycle.check_transition(session, incident, to)
    previous = lifecycle.apply_transition(incident, to, now)
    incident.version += 1
    incident.updated_at = now
    change = {"from": previous, "to": to, "reason": reason.strip()}
    timeline.add_audited(
        session,
        principal,
        incident.id,
        "status",
        f"{previous} → {to}: {reason.strip()}",
        at=now,
        detail=change,
        audit_action="csirt.incident.transition",
        audited=("incident", incident.id, incident.lead_ward),
        client=client,
        audit_detail=change,
    )
    incidents.refresh(session, incident, settings, now, actor=principal.label)
    return incident


def review(by: Acting, incident_id: int, notes: str, lessons: str) -> Incident:
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    incident = incidents.get_incident(session, principal, incident_id, "csirt.incidents.write")
    if incident.status != "closed":
        raise Conflict("{ref} is not closed: review it after closing", values={"ref": incident.ref})
    incident.review_notes, incident.lessons, incident.reviewed_at = notes, lessons, now
    incident.version += 1
    timeline.add_audited(
        session,
        principal,
        incident.id,
        "note",
        "Post-incident review recorded",
        at=now,
        detail={"notes": notes, "lessons": lessons},
        audit_action="csirt.incident.review",
        audited=("incident", incident.id, incident.lead_ward),
        client=client,
    )
    return incident


def add_note(by: Acting, incident_id: int, text: str, kind: str, *, to: Sequence[str] = ()) -> int:
    """A note (or a message exchanged with a ward, or reporting to the ward mayor, MIC,
    police or PPC: ``to``, kept as ``detail.to``); indicators in it are extracted."""
    session, principal, now = by.session, by.principal, by.now
    client = by.client
    incident = incidents.get_incident(session, principal, incident_id, "csirt.incidents.write")
    detail = {"to": sorted(to)} if to else None
    entry = timeline.add(
        session, incident.id, kind, text, actor=principal.label, at=now, detail=detail
    )
    session.flush()
    added = indicators.record(
        session, incident.id, indicators.extract(text), f"note:{entry.id}", now
    )
    audit.record(
        session,
        principal,
        f"csirt.incident.{kind}",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
        detail={"timeline": entry.id, "indicators": added, **(detail or {})},
    )
    return entry.id
