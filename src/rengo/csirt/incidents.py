"""Incidents: open (from SOC alerts, by hand, from a ward's report), read, search, change,
move through the life cycle, review. Severity and the major-incident flag are derived
from recorded facts on every change; the wards involved decide who sees an incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rengo.assets.models import Asset
from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem, ProblemList
from rengo.core.identity import User
from rengo.core.permissions import SYSTEM, Principal, allows, require, visible_tenants
from rengo.core.settings import Settings
from rengo.core.wards import JOINT, ward_codes
from rengo.csirt import indicators, lifecycle, major, timeline
from rengo.csirt.alerts import AlertRef, AlertSource
from rengo.csirt.models import Incident, IncidentAlert, IncidentAsset, IncidentWard
from rengo.csirt.schemas import IncidentCreate, IncidentPatch
from rengo.csirt.severity import CATEGORY_URGENCY, ImpactFacts, impact_of, severity_of
from rengo.csirt.vocabulary import SEVERITY_RANK, STATUSES
from rengo.notify import oncall, outbox, paging
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


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    ward: str | None = None
    status: str | None = None
    open_only: bool = False
    severity: str | None = None
    category: str | None = None
    major: bool | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class IncidentPage:
    items: list[Incident]
    wards: dict[int, list[str]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _scope(principal: Principal, f: IncidentFilter) -> str | None:
    """The one ward the query is about, or ``None`` for every ward (the joint centre)."""
    visible = visible_tenants(principal, "csirt.incidents.read")
    if visible is not None and f.ward is not None and f.ward not in visible:
        raise NotFound("no incidents of {ward} visible", values={"ward": f.ward})
    if visible is not None and f.ward is None:
        return principal.tenant
    return f.ward


def _incident_conditions(f: IncidentFilter) -> list[Any]:
    conditions: list[Any] = []
    if f.status:
        conditions.append(Incident.status == f.status)
    elif f.open_only:
        # IN over the open states uses the (status, detected_at) index; != would not.
        conditions.append(Incident.status.in_(lifecycle.OPEN_STATUSES))
    if f.severity:
        conditions.append(Incident.severity == f.severity)
    if f.category:
        conditions.append(Incident.category == f.category)
    if f.major is not None:
        conditions.append(Incident.major.is_(f.major))
    if f.q:
        conditions.append(func.lower(Incident.title).contains(f.q.lower()))
    return conditions


def search(session: Session, principal: Principal, f: IncidentFilter) -> IncidentPage:
    ward = _scope(principal, f)
    conditions = _incident_conditions(f)
    stmt = select(Incident)
    detected: Any = Incident.detected_at
    if ward is not None:
        # The ward's index (ward, detected_at) drives the query, newest first.
        stmt = stmt.join(
            IncidentWard, (IncidentWard.incident_id == Incident.id) & (IncidentWard.ward == ward)
        )
        detected = IncidentWard.detected_at
    times = ([detected >= f.since] if f.since else []) + ([detected < f.until] if f.until else [])
    stmt = stmt.where(*conditions, *times).order_by(detected.desc(), Incident.id.desc())
    if conditions:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    elif ward is not None:
        # Nothing to check on the incidents themselves: count index entries of the ward.
        counted = (
            select(func.count()).select_from(IncidentWard).where(IncidentWard.ward == ward, *times)
        )
    else:
        counted = select(func.count()).select_from(Incident).where(*times)
    total = session.scalar(counted) or 0
    items = list(session.scalars(stmt.limit(f.per_page).offset((f.page - 1) * f.per_page)))
    wards: dict[int, list[str]] = {i.id: [] for i in items}
    if items:
        for incident_id, ward in session.execute(
            select(IncidentWard.incident_id, IncidentWard.ward)
            .where(IncidentWard.incident_id.in_(list(wards)))
            .order_by(IncidentWard.ward)
        ):
            wards[incident_id].append(ward)
    return IncidentPage(items, wards, total, f.page, f.per_page)


# -- opening ----------------------------------------------------------------------------


def _check_wards(principal: Principal, requested: list[str], problems: ProblemList) -> None:
    for code in requested:
        if code not in ward_codes():
            problems.add(
                "{code!r} is not one of the 23 wards", "field wards", values={"code": code}
            )


def _check_times(data: Any, now: datetime, problems: ProblemList) -> None:
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
    _check_wards(principal, data.wards, problems)
    _check_times(data, now, problems)
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
        origin=data.origin,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    set_wards(session, incident, wards)
    _set_assets(session, principal, incident, data.asset_ids, wards)
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


def set_wards(session: Session, incident: Incident, wards: list[str]) -> None:
    session.execute(delete(IncidentWard).where(IncidentWard.incident_id == incident.id))
    session.add_all(
        IncidentWard(incident_id=incident.id, ward=w, detected_at=incident.detected_at)
        for w in sorted(set(wards))
    )
    session.flush()


def _set_assets(
    session: Session,
    principal: Principal,
    incident: Incident,
    asset_ids: list[int],
    wards: list[str],
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
        _escalate_major(session, incident, wards, settings, now)
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
    threshold = SEVERITY_RANK.get(settings.csirt.page_min_severity, 3)
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
                    body=_page_body(incident, wards),
                    settings=settings,
                    now=now,
                    incident_id=incident.id,
                )
    session.flush()


def _page_body(incident: Incident, wards: list[str]) -> str:
    return (
        f"{incident.ref} [{incident.severity}] {incident.title}\n"
        f"Category: {incident.category}; wards: {', '.join(wards)}; "
        f"detected {incident.detected_at.isoformat()}"
    )


def _escalate_major(
    session: Session, incident: Incident, wards: list[str], settings: Settings, now: datetime
) -> None:
    """Tell the executives at once: their on-call teams are paged and each is e-mailed."""
    timeline.add(
        session,
        incident.id,
        "system",
        f"Major incident: {incident.major_reason}",
        actor="rengo",
        at=now,
        detail={"major_at": incident.major_at.isoformat() if incident.major_at else None},
    )
    subject = f"【重大インシデント】{incident.ref} {incident.title}"
    body = _page_body(incident, wards) + f"\nMajor incident: {incident.major_reason}"
    link = f"{settings.csirt.public_base_url.rstrip('/')}/incidents/{incident.id}"
    executives = session.execute(
        select(User.email, User.tenant)
        .where(User.role == "executive", User.active.is_(True), User.email != "")
        .where(User.tenant.in_([JOINT, *wards]))
    ).all()
    for email, tenant in executives:
        outbox.enqueue(
            session,
            channel="email",
            recipient=email,
            subject=subject,
            body=body,
            link=link,
            now=now,
            topic="csirt.major_incident",
            tenant=tenant,
            reference=f"incident:{incident.id}",
        )
    for team in oncall.teams_for(session, wards, ("executives",)):
        paging.page_team(
            session,
            team,
            subject=subject,
            body=body,
            settings=settings,
            now=now,
            incident_id=incident.id,
        )
    timeline.add(
        session,
        incident.id,
        "message",
        f"Escalated to executives: {len(executives)} e-mail(s)",
        actor="rengo",
        at=now,
    )
    audit.record(
        session,
        SYSTEM,
        "csirt.incident.major",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        detail={"reason": incident.major_reason, "wards": wards},
    )


def check_ongoing_outages(session: Session, settings: Settings, now: datetime) -> int:
    """Flag incidents whose core-system outage has now lasted past the threshold."""
    flagged = 0
    for incident in major.ongoing_outages(session):
        if major.judge(incident, settings, now).major:
            refresh(session, incident, settings, now, actor="rengo")
            flagged += 1
    return flagged


# -- changing --------------------------------------------------------------------------


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
    session: Session,
    principal: Principal,
    incident_id: int,
    patch: IncidentPatch,
    settings: Settings,
    *,
    now: datetime,
    expected_version: int | None = None,
    client: str = "",
) -> Incident:
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
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
    _check_times(SimpleNamespace(**merged), now, problems)
    if "wards" in values:
        if not values["wards"]:
            problems.add("at least one ward", "field wards")
        _check_wards(principal, values["wards"], problems)
    problems.raise_if_any("{ref} cannot be changed", values={"ref": incident.ref})
    changes: dict[str, Any] = {}
    for name in TRACKED_FIELDS:
        if name in values and values[name] != getattr(incident, name):
            changes[name] = [_jsonable(getattr(incident, name)), _jsonable(values[name])]
            setattr(incident, name, values[name])
    wards = wards_of(session, incident.id)
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
        set_wards(session, incident, wards)
        if incident.lead_ward not in wards:
            incident.lead_ward = wards[0]
    if "asset_ids" in values:
        before = asset_ids_of(session, incident.id)
        _set_assets(session, principal, incident, values["asset_ids"], wards)
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
    refresh(session, incident, settings, now, actor=principal.label)
    return incident


def transition(
    session: Session,
    principal: Principal,
    incident_id: int,
    to: str,
    reason: str,
    settings: Settings,
    *,
    now: datetime,
    client: str = "",
) -> Incident:
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
    if to not in STATUSES:
        raise InvalidInput("unknown status", [Problem("{to!r}", "field to", values={"to": to})])
    if not reason.strip():
        raise InvalidInput("say why", [Problem("a reason is required", "field reason")])
    lifecycle.check_transition(session, incident, to)
    previous = lifecycle.apply_transition(incident, to, now)
    incident.version += 1
    incident.updated_at = now
    timeline.add(
        session,
        incident.id,
        "status",
        f"{previous} → {to}: {reason.strip()}",
        actor=principal.label,
        at=now,
        detail={"from": previous, "to": to, "reason": reason.strip()},
    )
    audit.record(
        session,
        principal,
        "csirt.incident.transition",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
        detail={"from": previous, "to": to, "reason": reason.strip()},
    )
    refresh(session, incident, settings, now, actor=principal.label)
    return incident


def review(
    session: Session,
    principal: Principal,
    incident_id: int,
    notes: str,
    lessons: str,
    *,
    now: datetime,
    client: str = "",
) -> Incident:
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
    if incident.status != "closed":
        raise Conflict("{ref} is not closed: review it after closing", values={"ref": incident.ref})
    incident.review_notes, incident.lessons, incident.reviewed_at = notes, lessons, now
    incident.version += 1
    timeline.add(
        session,
        incident.id,
        "note",
        "Post-incident review recorded",
        actor=principal.label,
        at=now,
        detail={"notes": notes, "lessons": lessons},
    )
    audit.record(
        session,
        principal,
        "csirt.incident.review",
        object_type="incident",
        object_id=incident.id,
        object_tenant=incident.lead_ward,
        client=client,
    )
    return incident


def add_note(
    session: Session,
    principal: Principal,
    incident_id: int,
    text: str,
    kind: str,
    *,
    now: datetime,
    client: str = "",
) -> int:
    """A note (or a message exchanged with a ward); indicators in it are extracted."""
    incident = get_incident(session, principal, incident_id, "csirt.incidents.write")
    entry = timeline.add(session, incident.id, kind, text, actor=principal.label, at=now)
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
        detail={"timeline": entry.id, "indicators": added},
    )
    return entry.id
