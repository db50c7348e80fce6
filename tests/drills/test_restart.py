"""A live exercise outlives the server that ran it, and starts by itself at its time.

Server one starts the exercise over the API and is stopped after the first inject; a
second server (a new app on the same database and data, as after ``rengo serve``
restarts) takes it up from the state in the database — injects sent, the scenario
clock, the records delivered — and finishes it: every record reaches the lake, the
detections fire. Had the planner chosen ``interrupt``, it is marked interrupted with the
reason instead. ``start_at`` from the API and the planner's form: validated, and the
server starts the exercise at that time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from rengo.core.identity import ApiToken
from rengo.core.runtime import Runtime
from rengo.drills.models import Exercise, InjectRun, Result
from rengo.drills.scoring import lake_of
from rengo.drills.settings import DrillsSettings
from rengo.soc.lake_purge import event_ids_of_source
from tests.conftest import LiveServer
from tests.drills.conftest import following, wait_for
from tests.helpers import JOINT, WARD_A, bearer, free_port

TWO_STEPS = """\
schema_version: 1
id: two-steps
version: 1
kind: live
title: {ja: 二段階, en: Two steps}
story: {ja: 再起動をまたぐ演習, en: An exercise across a restart}
wards: {count: 1, codes: ["131016"]}
injects:
  - id: backups
    telemetry: {template: shadow_copy_delete, count: 2, noise: 20, spread_seconds: 2}
  - id: spray
    at_minutes: 0.3
    telemetry: {template: vpn_password_spray, count: 30, noise: 10, spread_seconds: 3}
expectations:
  - id: backups-detected
    kind: detection
    rule: Shadow copies or backups deleted on a server
    within_minutes: 1.5
    title: {ja: バックアップ削除の検知, en: Backup deletion detected}
  - id: spray-detected
    kind: detection
    rule: SSL-VPN password spraying
    within_minutes: 1.5
    title: {ja: スプレーの検知, en: Spray detected}
"""


def _configure(env: Runtime, port: int) -> Runtime:
    """Detection in the server; runners taken up after 1 s without a tick, sending to
    the second server (``drills.ingest_url``)."""
    following(env)
    drills = env.settings.section(DrillsSettings)
    env.settings.use(
        drills.model_copy(
            update={
                "ingest_url": f"http://127.0.0.1:{port}",
                "takeover_seconds": 1.0,
                "poll_seconds": 0.3,
            }
        )
    )
    return env


def _library_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The two-step scenario in the library the API starts exercises from."""
    from rengo.drills import loader

    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "two-steps.yaml").write_text(TWO_STEPS, encoding="utf-8")
    monkeypatch.setattr(loader, "library_dir", lambda: folder)


def _exercise(env: Runtime, public_id: str) -> Exercise:
    with env.db.session() as session:
        found = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        assert found is not None
        session.expunge(found)
        return found


def _start(url: str, planner: dict[str, str], on_restart: str) -> str:
    made = httpx.post(
        f"{url}/api/v1/drills/exercises",
        json={"scenario": "two-steps", "wards": [WARD_A], "on_restart": on_restart},
        headers=planner,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _first_inject_sent(env: Runtime, public_id: str) -> bool:
    exercise = _exercise(env, public_id)
    with env.db.session() as session:
        sent = session.scalars(
            select(InjectRun.inject_id).where(
                InjectRun.exercise_id == exercise.id, InjectRun.sent_at.is_not(None)
            )
        ).all()
    return exercise.delivered_until is not None and list(sent) == ["backups"]


def test_a_restarted_server_resumes_the_exercise(
    env: Runtime, tokens: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from rengo.web.app import create_app

    _library_with(monkeypatch, tmp_path)
    second = free_port()
    _configure(env, second)
    planner = bearer(tokens(JOINT, "planner"))
    with LiveServer(create_app(env)) as one:
        public_id = _start(one.url, planner, "resume")
        wait_for(lambda: _first_inject_sent(env, public_id), timeout=30)
    stopped = _exercise(env, public_id)
    assert stopped.status == "running" and stopped.heartbeat_at is not None
    first_tokens = list(stopped.token_ids)
    with LiveServer(create_app(env), port=second):
        done = wait_for(
            lambda: _exercise(env, public_id).status == "completed" and _exercise(env, public_id),
            timeout=120,
        )
    assert done.start_at == stopped.start_at  # the scenario clock did not move
    with env.db.session() as session:
        runs = {r.inject_id: r for r in session.scalars(select(InjectRun))}
        assert runs["spray"].sent_at is not None and runs["spray"].records == 40
        # Sent after the restart, at its scenario minute (0.3 min after the start).
        assert runs["spray"].sent_at >= done.start_at + timedelta(seconds=17)
        met = {r.expectation_id: r.status for r in session.scalars(select(Result))}
        assert met == {"backups-detected": "met", "spray-detected": "met"}
        old = session.scalars(select(ApiToken).where(ApiToken.id.in_(first_tokens))).all()
        assert old and all(t.revoked_at is not None for t in old)
    assert len(done.token_ids) > len(first_tokens)  # the second runner's own tokens
    # Every record reached the lake (at least once: a batch in flight at the stop may
    # be sent again, as a collector would).
    today = done.start_at.date()
    sent = event_ids_of_source(
        lake_of(env.data_dir), f"exercise:{public_id}", [WARD_A], today - timedelta(1), today
    )
    assert len(sent) >= 22 + 40
    assert done.telemetry_records == 62


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_planner_may_choose_interrupted_instead(
    env: Runtime, tokens: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from rengo.web.app import create_app

    _library_with(monkeypatch, tmp_path)
    second = free_port()
    _configure(env, second)
    planner = bearer(tokens(JOINT, "planner"))
    with LiveServer(create_app(env)) as one:
        public_id = _start(one.url, planner, "interrupt")
        wait_for(lambda: _first_inject_sent(env, public_id), timeout=30)
    with LiveServer(create_app(env), port=second) as two:
        wait_for(lambda: _exercise(env, public_id).status == "interrupted", timeout=30)
        detail = httpx.get(
            f"{two.url}/api/v1/drills/exercises/{public_id}", headers=planner, timeout=30
        ).json()
    assert detail["status"] == "interrupted" and "restart" in detail["interrupted"]
    assert detail["on_restart"] == "interrupt"
    done = _exercise(env, public_id)
    assert done.ended_at is not None
    with env.db.session() as session:
        made = session.scalars(select(ApiToken).where(ApiToken.id.in_(done.token_ids))).all()
        assert made and all(t.revoked_at is not None for t in made)
        spray = session.scalar(select(InjectRun).where(InjectRun.inject_id == "spray"))
        assert spray is not None and spray.sent_at is None  # nothing sent after the stop


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_start_at_from_the_api_and_the_form(
    env: Runtime,
    client: TestClient,
    tokens: Any,
    login: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    from rengo.core.clock import JST
    from rengo.web.app import create_app

    _library_with(monkeypatch, tmp_path)
    port = free_port()
    _configure(env, port)
    planner = bearer(tokens(JOINT, "planner"))
    now = env.clock.now()
    body = {"scenario": "two-steps", "wards": [WARD_A]}
    for start_at, problem in (
        ((now - timedelta(hours=1)).isoformat(), "the start time has passed"),
        ((now + timedelta(days=400)).isoformat(), "at most a year ahead"),
    ):
        refused = client.post(
            "/api/v1/drills/exercises", json={**body, "start_at": start_at}, headers=planner
        )
        assert refused.status_code == 422
        assert refused.json()["problems"][0]["location"] == "field start_at"
        assert problem in refused.text
    naive = client.post(
        "/api/v1/drills/exercises", json={**body, "start_at": "2030-01-01T10:00"}, headers=planner
    )
    assert naive.status_code == 422
    # The form: a past time is refused next to the field, in Japanese.
    csrf = login(client, JOINT, "planner")
    past = (now - timedelta(hours=2)).astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        "/drills/exercises",
        data={"csrf_token": csrf, "scenario": "two-steps", "speed": "1", "start_at": past},
    )
    assert page.status_code == 422
    assert "開始日時が過ぎています" in page.text and 'aria-invalid="true"' in page.text
    soon = (now + timedelta(minutes=10)).astimezone(JST).replace(second=0, microsecond=0)
    planned = client.post(
        "/drills/exercises",
        data={
            "csrf_token": csrf,
            "scenario": "two-steps",
            "speed": "1",
            "start_at": soon.strftime("%Y-%m-%dT%H:%M"),
            "on_restart": "interrupt",
        },
    )
    assert planned.status_code == 303, planned.text
    form_id = planned.headers["location"].rsplit("/", 1)[1]
    made = _exercise(env, form_id)
    assert made.status == "planned" and made.start_at == soon and made.on_restart == "interrupt"
    # Over the API, two seconds ahead: the server starts it then, by itself.
    with LiveServer(create_app(env), port=port) as server:
        ahead = (env.clock.now() + timedelta(seconds=2)).isoformat()
        posted = httpx.post(
            f"{server.url}/api/v1/drills/exercises",
            json={**body, "start_at": ahead},
            headers=planner,
            timeout=30,
        )
        assert posted.status_code == 201, posted.text
        assert posted.json()["status"] == "planned" and posted.json()["starts_by_itself"]
        public_id = posted.json()["id"]
        running = wait_for(
            lambda: _exercise(env, public_id).status == "running" and _exercise(env, public_id),
            timeout=30,
        )
        assert running.start_at >= datetime.fromisoformat(ahead)  # not before its time
        httpx.post(
            f"{server.url}/api/v1/drills/exercises/{public_id}/abort", headers=planner, timeout=30
        )
    assert _exercise(env, form_id).status == "planned"  # its time has not come
