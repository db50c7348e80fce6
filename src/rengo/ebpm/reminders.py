"""Reminders to complete the required data-literacy course, through the platform's
notifications (``rengo.notify.outbox``: e-mail, with the delivery log and retries).

Who is reminded: members of the roster (``rengo.ebpm.roster``) with an e-mail address and
no completion of the required course (``ebpm.required_course``). Each person is reminded
at most once per ``ebpm.reminder_interval_days``, whether the reminder was scheduled (the
worker hook in ``rengo.ebpm.notifications``) or asked for by HR (the training page, the
API, ``rengo ebpm training remind``). Every reminder is a row of
``ebpm_training_reminders`` (who, when, how, which delivery).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import InvalidInput, Problem
from rengo.core.permissions import Principal, narrow_to_visible, require
from rengo.core.settings import Settings
from rengo.core.wards import JOINT, is_tenant, tenant_name
from rengo.ebpm.models import Completion, Course, Reminder, StaffMember
from rengo.ebpm.settings import EbpmSettings
from rengo.ebpm.training import ensure_courses
from rengo.notify import outbox
from rengo.notify.models import Delivery
from rengo.notify.settings import CsirtSettings

Trigger = Literal["scheduled", "manual"]
TOPIC = "ebpm.training.reminder"


@dataclass(frozen=True, slots=True)
class ReminderRun:
    sent: int
    """Reminders queued now."""
    recently_reminded: int
    """Not completed, but already reminded within the interval."""
    without_email: int
    """Not completed, but the roster has no e-mail address for them."""


def _message(member: StaffMember, course: Course, settings: Settings) -> tuple[str, str, str]:
    link = f"{settings.section(CsirtSettings).public_base_url.rstrip('/')}/ebpm/training"
    subject = f"[データ活用研修] 必修研修「{course.title_ja}」の受講のお願い"
    greeting = f"{member.name} 様" if member.name else f"職員番号 {member.staff_id} 様"
    body = (
        f"{greeting}\n\n"
        f"{tenant_name(member.tenant, 'ja')}の職員の皆さんに受講をお願いしている必修研修"
        f"「{course.title_ja}」({course.code})の修了記録がまだありません。"
        "e-ラーニングで受講できます。受講済みの方は人事担当にお知らせください。\n\n"
        f"Reminder: please complete the required course “{course.title_en}” ({course.code}).\n\n"
        f"{link}"
    )
    return subject, body, link


def _pending(
    course: Course, tenants: frozenset[str] | None, since: datetime, *, only_due: bool
) -> Select[StaffMember, bool]:
    """Roster members without a completion of ``course``, each with whether they were
    reminded after ``since``; with ``only_due`` just those with an address and no recent
    reminder (the worker's every round: nothing to load when nobody is due)."""
    done = select(Completion.id).where(
        Completion.course_id == course.id,
        Completion.tenant == StaffMember.tenant,
        Completion.staff_id == StaffMember.staff_id,
    )
    reminded = (
        select(Reminder.id)
        .where(
            Reminder.course_id == course.id,
            Reminder.tenant == StaffMember.tenant,
            Reminder.staff_id == StaffMember.staff_id,
            Reminder.sent_at > since,
        )
        .exists()
    )
    query = select(StaffMember, reminded).where(~done.exists())
    if only_due:
        query = query.where(~reminded, StaffMember.email != "")
    if tenants is not None:
        query = query.where(StaffMember.tenant.in_(tenants))
    return query.order_by(StaffMember.tenant, StaffMember.staff_id)


def send_reminders(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    tenants: frozenset[str] | None,
    trigger: Trigger,
    actor: str = "",
) -> ReminderRun:
    """Remind the staff of ``tenants`` (``None``: every ward) who have not completed the
    required course and were not reminded within the interval."""
    own = settings.section(EbpmSettings)
    course = ensure_courses(session).get(own.required_course)
    if course is None:
        return ReminderRun(0, 0, 0)
    since = now - timedelta(days=own.reminder_interval_days)
    query = _pending(course, tenants, since, only_due=trigger == "scheduled")
    recently = no_email = 0
    queued: list[tuple[StaffMember, Delivery]] = []
    for member, reminded in session.execute(query):
        if reminded:
            recently += 1
            continue
        if not member.email:
            no_email += 1
            continue
        subject, body, link = _message(member, course, settings)
        delivery = outbox.enqueue(
            session,
            channel="email",
            recipient=member.email,
            subject=subject,
            body=body,
            link=link,
            now=now,
            topic=TOPIC,
            tenant=member.tenant,
            reference=f"ebpm_staff:{member.id}",
            flush=False,
        )
        queued.append((member, delivery))
    session.flush()  # one batch of inserts: the deliveries get their ids
    session.add_all(
        Reminder(
            tenant=member.tenant,
            staff_id=member.staff_id,
            course_id=course.id,
            email=member.email,
            delivery_id=delivery.id,
            trigger=trigger,
            actor=actor,
            sent_at=now,
        )
        for member, delivery in queued
    )
    session.flush()
    return ReminderRun(len(queued), recently, no_email)


def remind_now(
    session: Session,
    principal: Principal,
    settings: Settings,
    now: datetime,
    ward: str | None = None,
    *,
    client: str = "",
) -> ReminderRun:
    """HR asks for reminders now (its own ward; the joint centre for one ward or all)."""
    if ward is not None and (ward == JOINT or not is_tenant(ward)):
        raise InvalidInput("unknown ward", [Problem("the code of a ward", "field ward")])
    require(principal, "ebpm.training.write", ward)
    tenants = narrow_to_visible(principal, "ebpm.training.write", ward)
    run = send_reminders(
        session, settings, now, tenants=tenants, trigger="manual", actor=principal.label
    )
    audit.record(
        session,
        principal,
        "ebpm.training.remind",
        object_type="ebpm_training_reminders",
        object_id=ward or principal.tenant,
        object_tenant=ward or (None if principal.is_joint else principal.tenant),
        detail={
            "sent": run.sent,
            "recently_reminded": run.recently_reminded,
            "without_email": run.without_email,
        },
        client=client,
    )
    return run


def scheduled_reminders(session: Session, settings: Settings, now: datetime) -> int:
    """The worker's round: remind everyone due (when ``ebpm.reminders_scheduled``)."""
    if not settings.section(EbpmSettings).reminders_scheduled:
        return 0
    return send_reminders(session, settings, now, tenants=None, trigger="scheduled").sent


def recent(
    session: Session, principal: Principal, ward: str | None = None, limit: int = 200
) -> list[Reminder]:
    """The latest reminders of the wards the principal may read, newest first."""
    tenants = narrow_to_visible(principal, "ebpm.training.read", ward)
    query = select(Reminder).order_by(Reminder.sent_at.desc(), Reminder.id.desc()).limit(limit)
    if tenants is not None:
        query = query.where(Reminder.tenant.in_(tenants))
    return list(session.scalars(query))
