"""The major-incident rule (重大インシデント) and what follows from it.

An incident is major when personal data of at least ``policy.major_incident_people``
people is affected, or a core system is (or was) down for at least
``policy.major_incident_outage_hours``. ``major_at`` is when the threshold was crossed:
the time the count was recorded, or outage start + the threshold for an outage (so an
outage still going on becomes major by itself, see ``check_ongoing_outages``).
A major incident counts against the KGI and is escalated to the executives at once.
The reason is kept in Japanese: it goes verbatim into reports for executives and the
national reporting channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import SYSTEM
from rengo.core.settings import Settings
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.csirt import timeline
from rengo.csirt.models import Incident
from rengo.csirt.settings import CsirtSettings
from rengo.notify import oncall, outbox, paging


@dataclass(frozen=True, slots=True)
class MajorJudgement:
    major: bool
    at: datetime | None
    reason: str


def judge(incident: Incident, settings: Settings, now: datetime) -> MajorJudgement:
    policy = settings.policy
    reasons: list[str] = []
    crossed: list[datetime] = []
    people = incident.people_affected or 0
    if people >= policy.major_incident_people:
        reasons.append(f"個人情報 {people:,} 人分(基準 {policy.major_incident_people:,} 人以上)")
        crossed.append(now)
    if incident.outage_started_at is not None:
        threshold = timedelta(hours=policy.major_incident_outage_hours)
        end = incident.outage_ended_at or now
        if end - incident.outage_started_at >= threshold:
            hours = (end - incident.outage_started_at).total_seconds() / 3600
            system = incident.outage_system or "基幹システム"
            reasons.append(
                f"{system} 停止 {hours:.1f} 時間(基準 {policy.major_incident_outage_hours:g} "
                "時間以上)"
            )
            crossed.append(incident.outage_started_at + threshold)
    if not reasons:
        return MajorJudgement(False, None, "")
    return MajorJudgement(True, min(crossed), "; ".join(reasons))


def ongoing_outages(session: Session) -> list[Incident]:
    """Incidents with a core system still down and not yet major (checked by the worker)."""
    return list(
        session.scalars(
            select(Incident)
            .where(Incident.outage_started_at.is_not(None))
            .where(Incident.outage_ended_at.is_(None))
            .where(Incident.major.is_(False))
            .where(Incident.merged_into_id.is_(None))
        )
    )


def page_body(incident: Incident, wards: list[TenantCode]) -> str:
    """What a page about ``incident`` says (the CSIRT's teams and the executives')."""
    return (
        f"{incident.ref} [{incident.severity}] {incident.title}\n"
        f"Category: {incident.category}; wards: {', '.join(wards)}; "
        f"detected {incident.detected_at.isoformat()}"
    )


def escalate(
    session: Session, incident: Incident, wards: list[TenantCode], settings: Settings, now: datetime
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
    body = page_body(incident, wards) + f"\nMajor incident: {incident.major_reason}"
    link = f"{settings.section(CsirtSettings).public_base_url.rstrip('/')}/incidents/{incident.id}"
    emailed = outbox.enqueue_emails(
        session,
        outbox.staff_emails(session, "executive", [JOINT, *wards]),
        subject=subject,
        body=body,
        link=link,
        now=now,
        topic="csirt.major_incident",
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
        f"Escalated to executives: {len(emailed)} e-mail(s)",
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
