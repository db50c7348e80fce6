"""What an exercise caused, and how each expectation fared.

``attribute`` finds the alerts the exercise's telemetry raised — alerts of ``origin
exercise`` whose matched events are the exercise's own (``source=exercise:<id>`` in the
lake) — and tags them, their campaigns and the incidents opened from them with the
exercise id (incidents also get ``origin=exercise``, so a responder who opened one from
an exercise alert never adds it to the real KPIs). ``update`` then fills each ``Result``:
when the detection fired (the alert was raised), when someone acknowledged it and who,
when an incident was opened and first contained. ``finish`` marks what is still pending
as missed and turns every miss into a follow-up task with an owner and a due date.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy import Result as SqlResult
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.permissions import SYSTEM
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.csirt.models import Incident, IncidentAlert, IncidentWard
from rengo.drills.loader import RuleCatalog
from rengo.drills.models import Exercise, FollowUp, Result
from rengo.drills.responses import RESPONSES
from rengo.drills.scenario import Expectation, ExpectationKind
from rengo.drills.service import scenario_of
from rengo.soc.alerts_models import Alert, AlertChange, AlertEvent
from rengo.soc.lake import Lake
from rengo.soc.lake_purge import event_ids_of_source


def affected(result: SqlResult[Any]) -> int:
    """Rows an UPDATE or DELETE changed."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def source_of(exercise: Exercise) -> str:
    """The ``source`` every event of the exercise is ingested with."""
    return f"exercise:{exercise.public_id}"


def lake_of(data_dir: DataDir) -> Lake:
    return Lake(data_dir.lake("soc"))


def days_of(exercise: Exercise, now: datetime) -> tuple[datetime, datetime]:
    end = exercise.ended_at or now
    return exercise.start_at - timedelta(days=1), end + timedelta(days=1)


def attribute(session: Session, data_dir: DataDir, exercise: Exercise, now: datetime) -> int:
    """Tag the exercise's new alerts, campaigns and incidents; return how many were tagged."""
    candidates = list(
        session.scalars(
            select(Alert).where(
                Alert.origin == "exercise",
                Alert.exercise_id.is_(None),
                Alert.kind != "campaign",
                Alert.created_at >= exercise.start_at - timedelta(minutes=5),
            )
        )
    )
    tagged = 0
    if candidates:
        first, last = days_of(exercise, now)
        mine = event_ids_of_source(
            lake_of(data_dir), source_of(exercise), exercise.wards, first.date(), last.date()
        )
        for alert in candidates:
            events = session.scalars(
                select(AlertEvent.event_id).where(AlertEvent.alert_id == alert.id)
            )
            if any(e in mine for e in events):
                alert.exercise_id = exercise.public_id
                tagged += 1
        session.flush()
    ours = select(Alert.id).where(Alert.exercise_id == exercise.public_id)
    tagged += affected(
        session.execute(
            update(Alert)
            .where(Alert.kind == "campaign", Alert.exercise_id.is_(None))
            .where(Alert.id.in_(select(Alert.campaign_id).where(Alert.id.in_(ours))))
            .values(exercise_id=exercise.public_id)
        )
    )
    public_ids = select(Alert.public_id).where(Alert.exercise_id == exercise.public_id)
    for incident in session.scalars(
        select(Incident)
        .where(Incident.exercise_id.is_(None))
        .where(
            Incident.id.in_(
                select(IncidentAlert.incident_id).where(IncidentAlert.alert_id.in_(public_ids))
            )
        )
    ):
        incident.exercise_id, incident.origin = exercise.public_id, "exercise"
        audit.record(
            session,
            SYSTEM,
            "drills.incident.tag",
            object_type="csirt_incident",
            object_id=incident.ref,
            object_tenant=incident.lead_ward,
            detail={"exercise": exercise.public_id},
            at=now,
        )
        tagged += 1
    session.flush()
    return tagged


def _first_ack(session: Session, alert_ids: list[int]) -> AlertChange | None:
    if not alert_ids:
        return None
    return session.scalar(
        select(AlertChange)
        .where(AlertChange.alert_id.in_(alert_ids))
        .where(AlertChange.action.in_(("acknowledged", "closed", "assigned")))
        .order_by(AlertChange.at)
        .limit(1)
    )


def _alerts(
    session: Session,
    exercise: Exercise,
    expectation: Expectation,
    ward: TenantCode,
    rules: RuleCatalog,
) -> list[Alert]:
    rule_id = rules.resolve(expectation.rule or "") or expectation.rule or ""
    stmt = select(Alert).where(Alert.exercise_id == exercise.public_id)
    if expectation.kind is ExpectationKind.CAMPAIGN:
        stmt = stmt.where(Alert.kind == "campaign", Alert.rule_id == rule_id)
    else:
        stmt = stmt.where(Alert.kind != "campaign", Alert.rule_id == rule_id, Alert.tenant == ward)
    return list(session.scalars(stmt.order_by(Alert.created_at)))


def _incidents(session: Session, exercise: Exercise, ward: TenantCode) -> list[Incident]:
    stmt = select(Incident).where(Incident.exercise_id == exercise.public_id)
    if ward != JOINT:
        stmt = stmt.where(
            Incident.id.in_(select(IncidentWard.incident_id).where(IncidentWard.ward == ward))
        )
    return list(session.scalars(stmt.order_by(Incident.created_at)))


def update_results(
    session: Session, exercise: Exercise, rules: RuleCatalog, now: datetime
) -> list[Result]:
    """Fill every live result from the alerts and incidents tagged so far."""
    scenario = scenario_of(exercise)
    by_id = {e.id: e for e in scenario.expectations}
    results = list(session.scalars(select(Result).where(Result.exercise_id == exercise.id)))
    for result in results:
        expectation = by_id[result.expectation_id]
        if expectation.kind in (ExpectationKind.DETECTION, ExpectationKind.CAMPAIGN):
            alerts = _alerts(session, exercise, expectation, result.ward, rules)
            if alerts:
                result.met_at, result.reference = alerts[0].created_at, alerts[0].public_id
                ack = _first_ack(session, [a.id for a in alerts])
                if ack is not None:
                    result.acknowledged_at, result.acknowledged_by = ack.at, ack.actor
        elif expectation.kind in (ExpectationKind.INCIDENT, ExpectationKind.CONTAINMENT):
            incidents = _incidents(session, exercise, result.ward)
            if incidents:
                incident = incidents[0]
                result.reference = incident.ref
                result.acknowledged_at = incident.acknowledged_at
                contained = [i.contained_at for i in incidents if i.contained_at is not None]
                result.contained_at = min(contained) if contained else None
                result.met_at = (
                    incident.created_at
                    if expectation.kind is ExpectationKind.INCIDENT
                    else result.contained_at
                )
        elif (fill := RESPONSES.get(expectation.kind)) is not None:
            fill(session, exercise, expectation, result, now)
        _settle(result, now)
    session.flush()
    return results


def _settle(result: Result, now: datetime) -> None:
    if result.met_at is not None:
        result.status = "met" if result.met_at <= result.due_at else "missed"
    elif now > result.due_at:
        result.status = "missed"
    else:
        result.status = "pending"


def finish(session: Session, exercise: Exercise, due_days: int, now: datetime) -> list[FollowUp]:
    """Pending results become missed; each missed expectation gets one follow-up per owner."""
    scenario = scenario_of(exercise)
    by_id = {e.id: e for e in scenario.expectations}
    made: list[FollowUp] = []
    have = {
        (f.expectation_id, f.owner)
        for f in session.scalars(select(FollowUp).where(FollowUp.exercise_id == exercise.id))
    }
    for result in session.scalars(
        select(Result).where(Result.exercise_id == exercise.id).order_by(Result.id)
    ):
        if result.status == "pending":
            result.status = "missed"
        if result.status != "missed":
            continue
        expectation = by_id[result.expectation_id]
        owner = result.ward if expectation.owner == "ward" and result.ward != JOINT else JOINT
        if owner == JOINT and expectation.owner == "ward" and exercise.wards:
            owner = exercise.wards[0]
        if (expectation.id, owner) in have:
            continue
        have.add((expectation.id, owner))
        ja, en = _followup_text(expectation)
        followup = FollowUp(
            exercise_id=exercise.id,
            expectation_id=expectation.id,
            owner=owner,
            title_ja=ja[:300],
            title_en=en[:300],
            due_on=(now + timedelta(days=due_days)).date(),
            created_at=now,
        )
        session.add(followup)
        made.append(followup)
    session.flush()
    return made


FOLLOWUP_TEXT = {
    ExpectationKind.DETECTION: ("検知ルールの作成・調整", "Write or tune the detection rule"),
    ExpectationKind.CAMPAIGN: ("複数区相関の見直し", "Review cross-ward correlation"),
    ExpectationKind.INCIDENT: ("起票手順(プレイブック)の見直し", "Fix the triage playbook"),
    ExpectationKind.CONTAINMENT: ("封じ込め手順の見直し", "Fix the containment playbook"),
    ExpectationKind.DECISION: ("意思決定手順の確認", "Rehearse the decision procedure"),
    ExpectationKind.DRAFT: ("報告・通報様式の整備", "Prepare the report template"),
    ExpectationKind.ADVISORY: ("注意喚起の発出手順の見直し", "Fix the advisory procedure"),
    ExpectationKind.NOTIFICATION: ("報告・通報連絡体制の見直し", "Fix the reporting chain"),
}


def _followup_text(expectation: Expectation) -> tuple[str, str]:
    ja, en = FOLLOWUP_TEXT[expectation.kind]
    return f"{ja}:{expectation.title.ja}", f"{en}: {expectation.title.en}"
