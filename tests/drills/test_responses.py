"""Exercise data tagged when it is sent, and the responses an exercise expects beyond
alerts: an advisory to the wards, the report to the ward mayor, MIC and police.

The events carry ``origin=exercise`` and ``source=exercise:<id>`` from the sender; the
detector, the alert queue and the CSIRT keep the id from there on (no runner looks
afterwards). The responses are read from the real records over HTTP: the intel
advisory API and the CSIRT's timeline messages (``to``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.csirt.models import Incident
from rengo.drills.loader import RuleCatalog, parse, require
from rengo.drills.models import Exercise, FollowUp, Result
from rengo.drills.scoring import finish, update_results
from rengo.drills.service import change_status, create_exercise
from rengo.soc import alerts_ingest
from rengo.soc.alerts_models import Alert
from rengo.soc.detect.detector import Detection, Detector
from rengo.soc.detect.settings import DetectSettings
from rengo.targets.registry import TargetContext, fiscal_year_start, get_target
from tests.helpers import JOINT, WARD_A, WARD_B, bearer
from tests.soc.detect.helpers import events, rules_from_yaml
from tests.soc.detect.test_correlation import FAILED_LOGIN, SUCCESS_LOGIN, correlation, login

RESPONSES = """\
schema_version: 1
id: responses
version: 1
kind: live
title: {ja: 報告訓練, en: Reporting drill}
story: {ja: 報告と注意喚起, en: Reports and an advisory}
wards: {count: 2, codes: ["131016", "131024"]}
injects:
  - id: backups
    wards: first
    telemetry: {template: shadow_copy_delete, count: 2}
expectations:
  - id: backups-detected
    kind: detection
    rule: Shadow copies or backups deleted on a server
    title: {ja: 検知, en: Detected}
  - id: mayor
    kind: notification
    notify: [mayor]
    wards: first
    owner: ward
    title: {ja: 区長への報告, en: Mayor told}
  - id: authorities
    kind: notification
    notify: [mic, police]
    wards: first
    title: {ja: 総務省・警察, en: MIC and police}
  - id: ppc
    kind: notification
    notify: [ppc]
    wards: first
    title: {ja: 個人情報保護委員会, en: PPC}
  - id: advisory
    kind: advisory
    title: {ja: 注意喚起, en: Advisory}
"""
EXERCISE_SOURCE = "exercise:EX-20261207-ABC123"


def test_the_detector_keeps_the_exercise_id_the_events_were_sent_with(tmp_path: Path) -> None:
    rule = correlation("event_count", "1m", "condition: {gte: 3}")
    rules = rules_from_yaml(tmp_path, FAILED_LOGIN, SUCCESS_LOGIN, rule)
    drill = {"origin": "exercise", "source": EXERCISE_SOURCE}
    rows = [{**login(s), **drill} for s in (0, 10, 20)]  # three failures: the correlation
    rows += [{**login(25, status=1), **drill}, login(30, status=1, src="198.51.100.7")]
    found = Detector(rules).run(events(*rows))
    sigma = [d for d in found if d.kind == "sigma"]
    assert [(d.origin, d.exercise) for d in sigma] == [
        ("exercise", "EX-20261207-ABC123"),
        ("real", None),
    ]
    (correlated,) = [d for d in found if d.kind == "correlation"]
    assert correlated.origin == "exercise" and correlated.exercise == "EX-20261207-ABC123"
    # A real source that looks like an exercise's is not one unless the origin says so.
    fake = Detector(rules).run(events({**login(0, status=1), "source": EXERCISE_SOURCE}))
    assert [d.exercise for d in fake] == [None]


def _exercise(env: Runtime, rules: RuleCatalog) -> tuple[str, Any]:
    scenario = require(parse(RESPONSES, "responses.yaml", rules))
    now = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=[WARD_A, WARD_B], speed=60, start_at=now, now=now
        )
        change_status(session, SYSTEM, exercise.public_id, "start", now)
        return exercise.public_id, now


def _alert(env: Runtime, rules: RuleCatalog, exercise: str | None) -> str:
    rule_id = rules.resolve("Shadow copies or backups deleted on a server")
    assert rule_id is not None
    now = env.clock.now()
    detection = Detection(
        rule_id,
        "Shadow copies or backups deleted on a server",
        "high",
        ("T1490",),
        "municipal",
        "sigma",
        WARD_A,
        "exercise" if exercise else "real",
        (f"ev-{exercise}",),
        now,
        now,
        host="fs01.chiyoda.local",
        exercise=exercise,
    )
    with env.db.session() as session:
        made = alerts_ingest.ingest(session, [detection], DetectSettings(), now)
        (public_id,) = made.new_alerts
        return public_id


def test_reports_and_advisories_are_scored_from_the_real_records(
    env: Runtime, client: TestClient, tokens: Any, login: Any
) -> None:
    from rengo.drills.catalog import rule_catalog

    rules = rule_catalog(env)
    public_id, started = _exercise(env, rules)
    real = _alert(env, rules, None)
    drill = _alert(env, rules, public_id)  # the same ward, rule and host as the real one
    assert drill != real  # an exercise detection never joins a real alert
    with env.db.session() as session:
        alert = session.scalar(select(Alert).where(Alert.public_id == drill))
        assert alert is not None and alert.exercise_id == public_id

    csirt, soc = bearer(tokens(JOINT, "csirt")), bearer(tokens(JOINT, "soc_analyst"))
    opened = client.post(
        "/api/v1/incidents", json={"category": "ransomware", "alert_ids": [drill]}, headers=csirt
    )
    assert opened.status_code == 201, opened.text
    incident_id = opened.json()["id"]
    with env.db.session() as session:  # exercise data from the start: no runner tagged it
        incident = session.get(Incident, incident_id)
        assert incident is not None
        assert (incident.origin, incident.exercise_id) == ("exercise", public_id)

    notes = f"/api/v1/incidents/{incident_id}/notes"
    wrong = client.post(notes, json={"text": "x", "kind": "note", "to": ["mayor"]}, headers=csirt)
    assert wrong.status_code == 422
    unknown = client.post(
        notes, json={"text": "x", "kind": "message", "to": ["press"]}, headers=csirt
    )
    assert unknown.status_code == 422 and "press" in unknown.text
    said = client.post(
        notes,
        json={"text": "区長へ第一報", "kind": "message", "to": ["mayor"]},
        headers=csirt,
    )
    assert said.status_code == 201 and said.json()["detail"] == {"to": ["mayor"]}
    for to in (["mic"], ["police"]):
        assert client.post(
            notes, json={"text": "報告", "kind": "message", "to": to}, headers=csirt
        ).is_success
    # A real advisory (no exercise id) sent during the exercise does not count; the
    # exercise's own one to both wards does.
    advisory = {
        "summary": "SSL-VPN のパスワードスプレー",
        "countermeasures": "多要素認証を有効にする",
        "wards": [WARD_A, WARD_B],
        "tlp": "amber",
    }
    posted = client.post(
        "/api/v1/intel/advisories", json={**advisory, "title": "実際の注意喚起"}, headers=soc
    )
    assert posted.status_code == 201, posted.text
    ours = client.post(
        "/api/v1/intel/advisories",
        json={**advisory, "title": f"【訓練 {public_id}】SSL-VPN 注意喚起"},
        headers=soc,
    )
    assert ours.status_code == 201, ours.text

    now = env.clock.now()
    with env.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        assert exercise is not None
        results = {
            (r.expectation_id, r.ward): r for r in update_results(session, exercise, rules, now)
        }
        assert set(results) == {
            ("backups-detected", WARD_A),
            ("mayor", WARD_A),
            ("authorities", WARD_A),
            ("ppc", WARD_A),
            ("advisory", JOINT),
        }
        assert results[("backups-detected", WARD_A)].reference == drill
        mayor, authorities = results[("mayor", WARD_A)], results[("authorities", WARD_A)]
        assert mayor.status == "met" and mayor.reference == f"INC-{incident_id:06d}"
        assert mayor.met_at is not None and started <= mayor.met_at <= now
        assert authorities.status == "met" and authorities.met_at is not None
        assert mayor.met_at <= authorities.met_at <= now  # the police were told last
        assert "csirt" in authorities.acknowledged_by
        assert results[("ppc", WARD_A)].status == "pending"
        sent = results[("advisory", JOINT)]
        assert sent.status == "met" and sent.reference == f"ADV-{ours.json()['id']}"
        assert sent.met_at is not None and started <= sent.met_at <= now
        followups = finish(session, exercise, 14, now)
        assert [(f.expectation_id, f.owner) for f in followups] == [("ppc", JOINT)]
        assert "報告・通報連絡体制" in followups[0].title_ja
    html = client.get(
        f"/api/v1/drills/exercises/{public_id}/report",
        params={"format": "html"},
        headers=bearer(tokens(JOINT, "planner")),
    )
    assert html.status_code == 200
    assert "区長・関係機関への報告" in html.text and "注意喚起の発出" in html.text
    # The missed PPC report is in the improvement plan, with its owner and due date.
    assert "報告・通報連絡体制の見直し:個人情報保護委員会" in html.text
    plan = html.text.split("改善計画", 1)[1]
    assert "共同センター" in plan and "未了" in plan
    login(client, JOINT, "planner")
    page = client.get(f"/drills/exercises/{public_id}/status")
    assert page.status_code == 200
    assert f'href="/intel/advisories/{ours.json()["id"]}"' in page.text
    assert f'href="/incidents/{incident_id}"' in page.text

    # Exercise data never counts toward real targets, though its incident is major.
    with env.db.session() as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        incident.major, incident.major_at = True, now
        incident.contained_at = now + timedelta(minutes=5)
    with env.db.session() as session:
        ctx = TargetContext(session, env.settings, env.data_dir, now, fiscal_year_start(now))
        majors = get_target("m1.kgi.major_incidents").compute
        assert majors is not None and majors(ctx)[JOINT].value == 0.0
        assert session.scalar(select(FollowUp.owner).limit(1)) == JOINT
        assert session.scalar(select(Result.status).where(Result.expectation_id == "mayor")) == (
            "met"
        )
