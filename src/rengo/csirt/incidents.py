"""Incidents: open (from SOC alerts, by hand, from a ward's report), read, search, change,
move through the life cycle, review. Severity and the major-incident flag are derived
from recorded facts on every change; the wards involved decide who sees an incident.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.errors import NotFound, ProblemList
from rengo.core.permissions import Principal, allows, require
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, ward_codes
from rengo.csirt import indicators, major, timeline
from rengo.csirt.alerts import AlertRef, AlertSource
from rengo.csirt.models import Incident, IncidentAlert, IncidentAsset, IncidentWard, Indicator
from rengo.csirt.schemas import IncidentCreate
from rengo.csirt.settings import CsirtSettings
from rengo.csirt.severity import CATEGORY_URGENCY, ImpactFacts, impact_of, severity_of
from rengo.csirt.vocabulary import SEVERITY_RANK
from rengo.notify import oncall, paging
from rengo.notify.models import OnCallPage

FUTURE_SLACK = timedelta(minutes=5)


# -- reading --------------------------------------------------------------------------


def wards_of(session: Session, incident_id: int) -> list[str]:
    return sorted(
        session.scalars(select(IncidentWard.ward).where(IncidentWard.incident_id == incident_id))
    )


def get_incident(
    session: Session, principal: Principal, incident_id: int, action: str = "csirt.incidents.read"
) -> Incident:
    """The incident if ``principal`` may see it (404 otherwise) and may do ``action`` (403)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound("incident {incident_id} not found", values={"incident_id": incident_id})
    involved = wards_of(session, incident_id)
    require(principal, "csirt.incidents.read", involved, hide=True)
    require(principal, action, involved)
    return incident


def read_incident(
    session: Session, principal: Principal, incident_id: int, *, client: str = ""
) -> Incident:
    """``get_incident``, with the reading recorded in the audit log (a person looked at it)."""
    incident = get_incident(session, principal, incident_id)
    audit.record_read(
        session,
        principal,
        "incident.read",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
    )
    return incident


def alert_ids_of(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(IncidentAlert.alert_id)
            .where(IncidentAlert.incident_id == incident_id)
            .order_by(IncidentAlert.detected_at)
        )
    )


def asset_ids_of(session: Session, incident_id: int) -> list[int]:
    return sorted(
        session.scalars(
            select(IncidentAsset.asset_id).where(IncidentAsset.incident_id == incident_id)
        )
    )


# -- opening ----------------------------------------------------------------------------


def check_wards(principal: Principal, requested: list[str], problems: ProblemList) -> None:
    for code in requested:
        if code not in ward_codes():
            problems.add(
                "{code!r} is not one of the 23 wards", "field wards", values={"code": code}
            )


def check_times(data: Any, now: datetime, problems: ProblemList) -> None:
    for name in ("occurred_at", "detected_at", "outage_started_at", "outage_ended_at"):
        value = getattr(data, name, None)
        if value is not None and value > now + FUTURE_SLACK:
            problems.add("lies in the future", f"field {name}")
    start, end = getattr(data, "outage_started_at", None), getattr(data, "outage_ended_at", None)
    if start and end and end < start:
        problems.add("ends before it starts", "field outage_ended_at")


def create_incident(
    session: Session,
    principal: Principal,
    data: IncidentCreate,
    settings: Settings,
    *,
    alert_source: AlertSource,
    now: datetime,
    client: str = "",
) -> Incident:
    require(principal, "csirt.incidents.write")
    problems = ProblemList()
    check_wards(principal, data.wards, problems)
    check_times(data, now, problems)
    alerts: list[AlertRef] = []
    if data.alert_ids:
        alerts = alert_source.get(session, principal, data.alert_ids)
        missing = set(data.alert_ids) - {a.id for a in alerts}
        for alert_id in sorted(missing):
            problems.add(
                "no alert {alert_id!r} visible to you",
                "field alert_ids",
                values={"alert_id": alert_id},
            )
        taken = session.execute(
            select(IncidentAlert.alert_id, IncidentAlert.incident_id).where(
                IncidentAlert.alert_id.in_([a.id for a in alerts])
            )
        ).all()
        for alert_id, incident_id in taken:
            problems.add(
                "alert {alert_id} is already in INC-{incident_id:06d}",
                "field alert_ids",
                values={"alert_id": alert_id, "incident_id": incident_id},
            )
    elif not data.title:
        problems.add("a title is needed when no alert is given", "field title")
    alert_wards = {w for a in alerts for w in (a.wards or (a.ward,)) if w != JOINT}
    wards = sorted(set(data.wards) | alert_wards)
    if not wards:
        if principal.is_joint:
            problems.add("the joint centre must say which wards are affected", "field wards")
        else:
            wards = [principal.tenant]
    problems.raise_if_any("the incident cannot be opened")
    for ward in wards:
        require(principal, "csirt.incidents.write", ward)
    detected = min([a.detected_at for a in alerts], default=None) or data.detected_at or now
    first_events = [a.first_event_at for a in alerts if a.first_event_at is not None]
    occurred = data.occurred_at or (min(first_events) if first_events else None)
    title = data.title or (
        alerts[0].title + (f" ほか{len(alerts) - 1}件" if len(alerts) > 1 else "")
    )
    exercise = next((a.exercise for a in alerts if a.exercise), None)
    incident = Incident(
        title=title[:200],
        description=data.description,
        category=data.category,
        urgency=data.urgency or CATEGORY_URGENCY[data.category],
        impact=1,
        severity="low",
        status="new",
        lead_ward=wards[0],
        source="alert" if alerts else data.source,
        reported_by=principal.label,
        occurred_at=occurred,
        detected_at=detected,
        people_affected=data.people_affected,
        outage_system=data.outage_system,
        outage_started_at=data.outage_started_at,
        outage_ended_at=data.outage_ended_at,
        origin="exercise" if exercise else data.origin,
        exercise_id=exercise,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    set_wards(session, incident, wards)
    set_assets(session, principal, incident, data.asset_ids, wards)
    timeline.add(
        session,
        incident.id,
        "status",
        f"Incident opened ({incident.source})",
        actor=principal.label,
        at=now,
        detail={"to": "new", "reason": "opened", "source": incident.source},
    )
    attach_alerts(session, incident, alerts, actor=principal.label, now=now)
    found = indicators.extract(f"{data.title or ''}\n{data.description}")
    indicators.record(session, incident.id, found, "description", now)
    audit.record(
        session,
        principal,
        "csirt.incident.create",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
        detail={"wards": wards, "alerts": [a.id for a in alerts], "category": data.category},
    )
    refresh(session, incident, settings, now, actor=principal.label, opening=True)
    if alerts:
        alert_source.mark(session, principal, [a.id for a in alerts], incident.ref)
    return incident


def attach_alerts(
    session: Session, incident: Incident, alerts: list[AlertRef], *, actor: str, now: datetime
) -> None:
    for alert in alerts:
        session.add(
            IncidentAlert(
                incident_id=incident.id,
                alert_id=alert.id,
                ward=alert.ward,
                title=alert.title[:300],
                severity=alert.severity,
                detected_at=alert.detected_at,
                first_event_at=alert.first_event_at,
                event_ids=list(alert.event_ids),
                indicators=[{"kind": k, "value": v} for k, v in alert.indicators],
            )
        )
        timeline.add(
            session,
            incident.id,
            "alert",
            f"SOC alert {alert.id}: {alert.title}",
            actor="SOC",
            at=alert.detected_at,
            detail={"alert_id": alert.id, "ward": alert.ward, "severity": alert.severity},
        )
        if alert.first_event_at is not None:
            timeline.add(
                session,
                incident.id,
                "event",
                f"First matched event of {alert.id} ({len(alert.event_ids)} events)",
                actor="SOC",
                at=alert.first_event_at,
                detail={"alert_id": alert.id, "event_ids": list(alert.event_ids)[:50]},
            )
        found: list[indicators.Found] = []
        for kind, value in alert.indicators:
            try:
                found.append(indicators.normalise(kind, value))
            except ValueError:
                continue
        found += indicators.extract(alert.title)
        indicators.record(session, incident.id, found, f"alert:{alert.id}", now)
    session.flush()


def set_wards(session: Session, incident: Incident, wards: list[TenantCode]) -> None:
    session.execute(delete(IncidentWard).where(IncidentWard.incident_id == incident.id))
    session.add_all(
        IncidentWard(incident_id=incident.id, ward=w, detected_at=incident.detected_at)
        for w in sorted(set(wards))
    )
    session.flush()


def set_assets(
    session: Session,
    principal: Principal,
    incident: Incident,
    asset_ids: list[int],
    wards: list[TenantCode],
) -> None:
    problems = ProblemList()
    assets = {a.id: a for a in session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))}
    for asset_id in asset_ids:
        asset = assets.get(asset_id)
        if asset is None or not allows(principal, "assets.read", asset.tenant):
            problems.add("no asset {asset_id}", "field asset_ids", values={"asset_id": asset_id})
        elif asset.tenant not in wards:
            problems.add(
                "asset {asset_id} belongs to {tenant}, not to an involved ward",
                "field asset_ids",
                values={"asset_id": asset_id, "tenant": asset.tenant},
            )
    problems.raise_if_any("invalid affected assets")
    session.execute(delete(IncidentAsset).where(IncidentAsset.incident_id == incident.id))
    session.add_all(
        IncidentAsset(incident_id=incident.id, asset_id=a) for a in sorted(set(asset_ids))
    )
    session.flush()


# -- derived facts: severity, major, paging ----------------------------------------------


def refresh(
    session: Session,
    incident: Incident,
    settings: Settings,
    now: datetime,
    *,
    actor: str,
    opening: bool = False,
) -> None:
    """Recompute impact, severity and the major flag; page and escalate as they rise."""
    wards = wards_of(session, incident.id)
    judgement = major.judge(incident, settings, now)
    levels = session.execute(
        select(func.max(Asset.confidentiality), func.max(Asset.availability))
        .join(IncidentAsset, IncidentAsset.asset_id == Asset.id)
        .where(IncidentAsset.incident_id == incident.id)
    ).one()
    facts = ImpactFacts(
        major=judgement.major,
        people_affected=incident.people_affected or 0,
        core_system_down=incident.outage_started_at is not None,
        wards=len(wards),
        max_confidentiality=levels[0] or 0,
        max_availability=levels[1] or 0,
    )
    incident.impact = impact_of(facts)
    severity = severity_of(incident.impact, incident.urgency)
    if severity != incident.severity and not opening:
        timeline.add(
            session,
            incident.id,
            "system",
            f"Severity {incident.severity} → {severity} (impact {incident.impact}, "
            f"urgency {incident.urgency})",
            actor=actor,
            at=now,
        )
    incident.severity = severity
    if judgement.major and not incident.major:
        incident.major, incident.major_at, incident.major_reason = (
            True,
            judgement.at,
            judgement.reason[:200],
        )
        major.escalate(session, incident, wards, settings, now)
    elif not judgement.major and incident.major:
        timeline.add(
            session,
            incident.id,
            "system",
            "No longer a major incident: the recorded facts fall below the thresholds",
            actor=actor,
            at=now,
            detail={"was": incident.major_reason},
        )
        incident.major, incident.major_at, incident.major_reason = False, None, ""
    threshold = SEVERITY_RANK.get(settings.section(CsirtSettings).page_min_severity, 3)
    if SEVERITY_RANK[incident.severity] >= threshold and incident.status != "closed":
        already = session.scalar(
            select(func.count())
            .select_from(OnCallPage)
            .where(OnCallPage.incident_id == incident.id)
        )
        if not already:
            for team in oncall.teams_for(session, wards, ("csirt", "ward_contact")):
                paging.page_team(
                    session,
                    team,
                    subject=f"{incident.ref} {incident.title}",
                    body=major.page_body(incident, wards),
                    settings=settings,
                    now=now,
                    incident_id=incident.id,
                )
    session.flush()


def check_ongoing_outages(session: Session, settings: Settings, now: datetime) -> int:
    """Flag incidents whose core-system outage has now lasted past the threshold."""
    flagged = 0
    for incident in major.ongoing_outages(session):
        if major.judge(incident, settings, now).major:
            refresh(session, incident, settings, now, actor="rengo")
            flagged += 1
    return flagged


def incident_indicators(
    session: Session, principal: Principal, incident_id: int, *, include_internal: bool = False
) -> list[Indicator]:
    """The interface for ``rengo.intel``: an incident's indicators, if ``principal`` may
    read the incident (404 otherwise). Internal ones (private addresses, the wards' own
    domains) are left out unless asked for. The read is audited."""
    incident = get_incident(session, principal, incident_id)
    items = [
        i for i in indicators.listed(session, incident.id) if include_internal or not i.internal
    ]
    audit.record(
        session,
        principal,
        "csirt.indicators.read",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        detail={"count": len(items)},
    )
    return items
