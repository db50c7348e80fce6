"""Tabletop exercises: the facilitator sends injects, participants answer and draft.

Participants join with the exercise's short code (and a name; a cookie secret then says
who they are — only its sha256 is stored) or with their account. Every answer and draft
is time-stamped and attributed. Each exercise is its own world: a participant's secret
belongs to one exercise, so several tabletops can run at once without crossing.

Drafts start from templates (report to the mayor, notification to MIC/PPC/police, press
statement) filled with the exercise's facts; ``update_results`` scores decision and
draft expectations from what was recorded.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.clock import to_jst
from rengo.core.errors import Conflict, InvalidInput, NotFound, Problem
from rengo.core.permissions import Principal, require
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, tenant_name
from rengo.drills.models import Decision, Draft, Exercise, InjectRun, Participant, Result
from rengo.drills.scenario import ExpectationKind
from rengo.drills.service import change_status, lock_exercise, scenario_of

OPEN = ("planned", "running", "paused")


@dataclass(frozen=True)
class DraftTemplate:
    title_ja: str
    title_en: str
    body_ja: str


DRAFT_TEMPLATES: dict[str, DraftTemplate] = {
    "mayor_report": DraftTemplate(
        "区長への報告",
        "Report to the mayor",
        "区長 様\n\n件名:{title}について(第1報)\n\n1 発生日時:{start}\n2 概要:{story}\n"
        "3 影響範囲:\n4 対応状況:\n5 今後の対応:\n\n報告者:",
    ),
    "authority_notification": DraftTemplate(
        "総務省・個人情報保護委員会・警察への通報",
        "Notification to MIC, PPC and police",
        "総務省 自治行政局 御中/個人情報保護委員会 御中/警視庁 サイバー攻撃対策担当 御中\n\n"
        "{ward}における情報セキュリティインシデントについて(速報)\n\n"
        "1 発生日時:{start}\n2 事案の概要:{story}\n3 "
        "漏えい等のおそれがある個人データの項目及び人数:\n"
        "4 原因:調査中\n5 二次被害又はそのおそれの有無:\n6 本人への対応:\n7 連絡先:",
    ),
    "press_statement": DraftTemplate(
        "報道発表文",
        "Press statement",
        "報道発表資料\n{ward}\n\n{title}について\n\n{start}、本区において{story}\n\n"
        "区民の皆様にはご心配をおかけし、深くお詫び申し上げます。\n現在、原因の調査と再発防止に"
        "取り組んでいます。\n\n問い合わせ先:",
    ),
}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _open_exercise(session: Session, public_id: str) -> Exercise:
    exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
    if exercise is None or exercise.kind != "tabletop":
        raise NotFound("no such tabletop exercise", [Problem(public_id, "exercise")])
    return exercise


def _add(
    session: Session,
    exercise: Exercise,
    name: str,
    tenant: TenantCode,
    username: str | None,
    now: datetime,
) -> tuple[Participant, str]:
    if exercise.status not in OPEN:
        raise Conflict("the exercise is over", [Problem(exercise.status, "exercise")])
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise InvalidInput("give your name", [Problem("1 to 128 characters", "field name")])
    secret = secrets.token_urlsafe(24)
    participant = Participant(
        exercise_id=exercise.id,
        name=name,
        tenant=tenant,
        username=username,
        secret_hash=_digest(secret),
        joined_at=now,
    )
    session.add(participant)
    session.flush()
    return participant, secret


def join_with_code(
    session: Session, code: str, name: str, now: datetime
) -> tuple[Exercise, Participant, str]:
    """Join the tabletop whose short code this is; returns the participant's secret."""
    exercise = session.scalar(
        select(Exercise).where(Exercise.join_code == code.strip().upper()[:12])
    )
    if exercise is None:
        raise NotFound("no exercise has this code", [Problem("check the code", "field code")])
    participant, secret = _add(session, exercise, name, exercise.wards[0], None, now)
    return exercise, participant, secret


def join_with_account(
    session: Session, principal: Principal, public_id: str, now: datetime
) -> tuple[Exercise, Participant, str]:
    exercise = _open_exercise(session, public_id)
    require(principal, "drills.tabletop.join", exercise.wards, hide=True)
    name = principal.username or principal.label
    tenant = principal.tenant if principal.tenant != JOINT else exercise.wards[0]
    participant, secret = _add(session, exercise, name, tenant, principal.username, now)
    return exercise, participant, secret


def participant_for(session: Session, public_id: str, secret: str | None) -> Participant:
    """The participant of this exercise with this secret (404 otherwise: no crossing)."""
    exercise = _open_exercise(session, public_id)
    participant = (
        session.scalar(
            select(Participant).where(
                Participant.exercise_id == exercise.id,
                Participant.secret_hash == _digest(secret),
            )
        )
        if secret
        else None
    )
    if participant is None:
        raise NotFound("join the exercise first", [Problem(public_id, "exercise")])
    return participant


def send_inject(
    session: Session, principal: Principal, public_id: str, inject_id: str, now: datetime
) -> InjectRun:
    """The facilitator sends an inject to every participant (once)."""
    require(principal, "drills.exercises.run")
    exercise = lock_exercise(session, public_id)
    if exercise.status not in OPEN:
        raise Conflict("the exercise is over", [Problem(exercise.status, "exercise")])
    if exercise.status == "planned":
        exercise = change_status(session, principal, public_id, "start", now)
    run = session.scalar(
        select(InjectRun).where(
            InjectRun.exercise_id == exercise.id, InjectRun.inject_id == inject_id
        )
    )
    if run is None:
        raise NotFound("no such inject", [Problem(inject_id, "inject")])
    if run.sent_at is None:
        run.sent_at = now
        exercise.updated_at = now
        audit.record(
            session,
            principal,
            "drills.inject.send",
            object_type="drills_exercise",
            object_id=public_id,
            detail={"inject": inject_id},
            at=now,
        )
    session.flush()
    return run


def sent_injects(session: Session, exercise: Exercise) -> list[InjectRun]:
    return list(
        session.scalars(
            select(InjectRun)
            .where(InjectRun.exercise_id == exercise.id, InjectRun.sent_at.is_not(None))
            .order_by(InjectRun.sent_at, InjectRun.id)
        )
    )


def decide(
    session: Session,
    participant: Participant,
    inject_id: str,
    option: int,
    note: str,
    now: datetime,
) -> Decision:
    exercise = session.get(Exercise, participant.exercise_id)
    assert exercise is not None
    if exercise.status not in OPEN:
        raise Conflict("the exercise is over", [Problem(exercise.status, "exercise")])
    sent = {r.inject_id for r in sent_injects(session, exercise)}
    scenario = scenario_of(exercise)
    inject = next((i for i in scenario.injects if i.id == inject_id), None)
    if inject is None or inject.decision is None or inject_id not in sent:
        raise NotFound("no such decision point", [Problem(inject_id, "field inject")])
    if not 0 <= option < len(inject.decision.options):
        raise InvalidInput(
            "choose one of the options",
            [Problem("0 to {last}", "field option", {"last": len(inject.decision.options) - 1})],
        )
    answered = session.scalar(
        select(Decision).where(
            Decision.exercise_id == exercise.id,
            Decision.participant_id == participant.id,
            Decision.inject_id == inject_id,
        )
    )
    if answered is not None:
        raise Conflict("you answered this already", [Problem(inject_id, "field inject")])
    decision = Decision(
        exercise_id=exercise.id,
        participant_id=participant.id,
        inject_id=inject_id,
        option=option,
        note=note.strip()[:4000],
        at=now,
    )
    session.add(decision)
    exercise.updated_at = now
    session.flush()
    return decision


def draft_text(exercise: Exercise, template: str) -> str:
    """A template filled with the exercise's facts."""
    if template not in DRAFT_TEMPLATES:
        raise NotFound("no such draft", [Problem(template, "field template")])
    scenario = scenario_of(exercise)
    return DRAFT_TEMPLATES[template].body_ja.format(
        title=scenario.title.ja,
        story=scenario.story.ja,
        start=to_jst(exercise.start_at).strftime("%Y年%m月%d日 %H:%M"),
        ward=tenant_name(exercise.wards[0], "ja"),
    )


def save_draft(
    session: Session, participant: Participant, template: str, body: str, now: datetime
) -> Draft:
    exercise = session.get(Exercise, participant.exercise_id)
    assert exercise is not None
    if exercise.status not in OPEN:
        raise Conflict("the exercise is over", [Problem(exercise.status, "exercise")])
    if template not in DRAFT_TEMPLATES:
        raise NotFound("no such draft", [Problem(template, "field template")])
    body = body.strip()
    if not 1 <= len(body) <= 20_000:
        raise InvalidInput("write the draft", [Problem("1 to 20,000 characters", "field body")])
    draft = Draft(
        exercise_id=exercise.id, participant_id=participant.id, template=template, body=body, at=now
    )
    session.add(draft)
    exercise.updated_at = now
    session.flush()
    return draft


@dataclass(frozen=True)
class Board:
    """What the facilitator sees: who joined, and who answered each decision point."""

    participants: list[Participant]
    answers: dict[str, dict[int, Decision]]
    """inject id -> participant id -> decision"""
    drafts: list[Draft]


def board(session: Session, exercise: Exercise) -> Board:
    participants = list(
        session.scalars(
            select(Participant)
            .where(Participant.exercise_id == exercise.id)
            .order_by(Participant.joined_at, Participant.id)
        )
    )
    answers: dict[str, dict[int, Decision]] = {}
    for decision in session.scalars(select(Decision).where(Decision.exercise_id == exercise.id)):
        answers.setdefault(decision.inject_id, {})[decision.participant_id] = decision
    drafts = list(
        session.scalars(select(Draft).where(Draft.exercise_id == exercise.id).order_by(Draft.at))
    )
    return Board(participants, answers, drafts)


def fingerprint(session: Session, exercise: Exercise) -> str:
    """Changes whenever something a screen shows changes (for server-sent events)."""
    counts = [
        session.scalar(select(func.count()).select_from(m).where(m.exercise_id == exercise.id))
        for m in (Participant, Decision, Draft)
    ]
    sent = session.scalar(
        select(func.count())
        .select_from(InjectRun)
        .where(InjectRun.exercise_id == exercise.id, InjectRun.sent_at.is_not(None))
    )
    return f"{exercise.status}|{sent}|{'|'.join(str(c) for c in counts)}"


def update_results(session: Session, exercise: Exercise, now: datetime) -> None:
    """Decision and draft expectations from the answers and drafts recorded."""
    scenario = scenario_of(exercise)
    by_id = {e.id: e for e in scenario.expectations}
    for result in session.scalars(select(Result).where(Result.exercise_id == exercise.id)):
        expectation = by_id[result.expectation_id]
        first = None
        if expectation.kind is ExpectationKind.DECISION:
            first = session.scalar(
                select(func.min(Decision.at)).where(
                    Decision.exercise_id == exercise.id, Decision.inject_id == expectation.inject
                )
            )
        elif expectation.kind is ExpectationKind.DRAFT:
            first = session.scalar(
                select(func.min(Draft.at)).where(
                    Draft.exercise_id == exercise.id, Draft.template == expectation.draft
                )
            )
        else:
            continue
        result.met_at = first
        if first is not None:
            result.status = "met" if first <= result.due_at else "missed"
        elif now > result.due_at:
            result.status = "missed"
    session.flush()
