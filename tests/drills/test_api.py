"""The exercises API and pages: who may do what, located validation errors, targets
computed from the records, abort leaving nothing half-written, reports, SSE."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.loader import library, require
from rengo.drills.models import Exercise, InjectRun, Result
from rengo.drills.service import change_status, create_exercise
from rengo.targets.registry import TargetContext, fiscal_year_start, get_target
from tests.conftest import LiveServer
from tests.drills.conftest import SHORT_LIVE
from tests.helpers import JOINT, WARD_A, WARD_B, bearer


def test_the_library_and_validation_over_http(client: TestClient, tokens: Any) -> None:
    executive = bearer(tokens(WARD_A, "executive"))
    listed = client.get("/api/v1/drills/scenarios", headers=executive)
    assert listed.status_code == 200
    ids = {s["id"] for s in listed.json()}
    assert {"ransomware-vpn", "phishing-campaign", "tabletop-ransomware"} <= ids
    one = client.get("/api/v1/drills/scenarios/phishing-campaign", headers=executive).json()
    assert one["expectations"][1]["kind"] == "campaign"
    bad = SHORT_LIVE.replace('codes: ["131016"]', 'codes: ["999990"]')
    checked = client.post(
        "/api/v1/drills/scenarios/validate", content=bad.encode(), headers=executive
    ).json()
    assert checked["ok"] is False
    (problem,) = checked["problems"]
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "999990" in text)
    assert problem["location"] == f"scenario.yaml:{line}"
    assert "unknown ward" in problem["message"]
    assert client.get("/api/v1/drills/scenarios").status_code == 401


def test_only_the_planner_and_joint_admin_run_exercises(client: TestClient, tokens: Any) -> None:
    body = {"scenario": "tabletop-ransomware", "wards": [WARD_A], "start": False}
    for ward, role in ((WARD_A, "planner"), (JOINT, "soc_analyst"), (WARD_A, "admin")):
        refused = client.post(
            "/api/v1/drills/exercises", json=body, headers=bearer(tokens(ward, role))
        )
        assert refused.status_code == 403, (ward, role)
    for role in ("planner", "admin"):
        made = client.post(
            "/api/v1/drills/exercises", json=body, headers=bearer(tokens(JOINT, role))
        )
        assert made.status_code == 201
    bad = client.post(
        "/api/v1/drills/exercises",
        json={**body, "wards": ["999990"]},
        headers=bearer(tokens(JOINT, "planner")),
    )
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "wards"
    # Wards see their own participation only.
    mine = client.get("/api/v1/drills/exercises", headers=bearer(tokens(WARD_A, "ward_it")))
    theirs = client.get("/api/v1/drills/exercises", headers=bearer(tokens(WARD_B, "ward_it")))
    assert len(mine.json()) == 2 and theirs.json() == []


def _held(env: Runtime, kind: str, wards: list[str], status: str = "completed") -> str:
    scenario = require(library()["tabletop-ransomware" if kind == "tabletop" else "ddos-disaster"])
    now = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=wards, speed=1, start_at=now, now=now
        )
        public_id = exercise.public_id
        change_status(session, SYSTEM, public_id, "start", now)
        change_status(
            session, SYSTEM, public_id, "abort" if status == "aborted" else "complete", now
        )
    return public_id


def test_both_drills_targets_are_computed_from_the_records(env: Runtime) -> None:
    live, tabletop = get_target("m1.kpi.live_exercises"), get_target("m1.kpi.tabletop_exercises")
    assert live.compute and tabletop.compute and live.evidence_path == "/drills/history"

    def measure(target: Any) -> dict[str, Any]:
        now = env.clock.now() + timedelta(seconds=1)
        with env.db.session() as session:
            ctx = TargetContext(session, env.settings, env.data_dir, now, fiscal_year_start(now))
            return dict(target.compute(ctx))

    assert measure(live) == {}  # nothing recorded yet: "no data", not zero
    first = _held(env, "live", [WARD_A, WARD_B])
    _held(env, "live", [WARD_A])
    _held(env, "live", [WARD_B], status="aborted")  # an aborted exercise does not count
    _held(env, "tabletop", [WARD_A])
    values = measure(live)
    assert values[JOINT].value == 2.0 and values[WARD_A].value == 2.0
    assert values[WARD_B].value == 1.0 and values[WARD_B].detail["exercises"] == [first]
    assert values["131032"].value == 0.0
    assert measure(tabletop)[JOINT].value == 1.0 and measure(tabletop)[WARD_B].value == 0.0


def test_aborting_a_live_exercise_half_way_leaves_nothing_half_written(
    env: Runtime, detecting_server: LiveServer, tokens: Any
) -> None:
    planner = bearer(tokens(JOINT, "planner"))
    http = httpx.Client(base_url=detecting_server.url, timeout=30)
    made = http.post(
        "/api/v1/drills/exercises",
        json={"scenario": "ransomware-vpn", "wards": [WARD_A], "speed": 60},
        headers=planner,
    )
    assert made.status_code == 201, made.text
    public_id = made.json()["id"]

    def sent_something() -> bool:
        detail = http.get(f"/api/v1/drills/exercises/{public_id}", headers=planner).json()
        return bool(detail["telemetry_records"])

    _wait(sent_something)
    paused = http.post(f"/api/v1/drills/exercises/{public_id}/pause", headers=planner)
    assert paused.json()["status"] == "paused"
    resumed = http.post(f"/api/v1/drills/exercises/{public_id}/resume", headers=planner)
    assert resumed.json()["status"] == "running"
    aborted = http.post(f"/api/v1/drills/exercises/{public_id}/abort", headers=planner)
    assert aborted.json()["status"] == "aborted"
    again = http.post(f"/api/v1/drills/exercises/{public_id}/resume", headers=planner)
    assert again.status_code == 409

    def cleaned() -> bool:
        from rengo.soc.alerts_models import Alert

        with env.db.session() as session:
            exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
            assert exercise is not None
            return (
                exercise.token_ids == []
                and session.scalar(
                    select(func.count())
                    .select_from(Result)
                    .where(Result.exercise_id == exercise.id)
                )
                == 0
                and session.scalar(
                    select(func.count()).select_from(Alert).where(Alert.exercise_id == public_id)
                )
                == 0
            )

    _wait(cleaned)
    threading.Event().wait(1.0)  # the runner's last look
    from rengo.drills.scoring import lake_of
    from rengo.soc.lake_purge import event_ids_of_source

    day = env.clock.now().date()
    left = event_ids_of_source(
        lake_of(env.data_dir), f"exercise:{public_id}", [WARD_A], day - timedelta(1), day
    )
    assert left == set()
    with env.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        assert exercise is not None and exercise.status == "aborted"
        assert session.scalar(
            select(func.count()).select_from(InjectRun).where(InjectRun.sent_at.is_not(None))
        )
    purged = http.delete(f"/api/v1/drills/exercises/{public_id}", headers=planner)
    assert purged.status_code == 200
    assert http.get(f"/api/v1/drills/exercises/{public_id}", headers=planner).status_code == 404


def _wait(check: Any, timeout: float = 60) -> None:
    from tests.drills.conftest import wait_for

    wait_for(check, timeout)


def test_reports_pages_and_history(
    client: TestClient, env: Runtime, tokens: Any, login: Any
) -> None:
    public_id = _held(env, "live", [WARD_A])
    planner = bearer(tokens(JOINT, "planner"))
    html = client.get(
        f"/api/v1/drills/exercises/{public_id}/report", params={"format": "html"}, headers=planner
    )
    assert html.status_code == 200 and "実施報告書" in html.text and "改善計画" in html.text
    pdf = client.get(f"/api/v1/drills/exercises/{public_id}/report", headers=planner)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    login(client, JOINT, "planner")
    index = client.get("/drills")
    assert index.status_code == 200 and "<h1>" in index.text and "phishing-campaign" in index.text
    page = client.get(f"/drills/exercises/{public_id}")
    assert page.status_code == 200 and 'hx-trigger="every 3s"' in page.text
    assert client.get(f"/drills/exercises/{public_id}/status").status_code == 200
    history = client.get("/drills/history", params={"ward": WARD_A, "kind": "live"})
    assert public_id in history.text


def test_server_sent_events_announce_changes(
    env: Runtime, live_server: LiveServer, tokens: Any
) -> None:
    public_id = _held_open(env)
    planner = bearer(tokens(JOINT, "planner"))
    with (
        httpx.Client(base_url=live_server.url, timeout=30) as http,
        http.stream("GET", f"/drills/exercises/{public_id}/events", headers=planner) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        first = _next_update(lines)
        sent = http.post(f"/api/v1/drills/exercises/{public_id}/start", headers=planner)
        assert sent.status_code == 200
        second = _next_update(lines)
        assert first != second and second.startswith("running|")
    refused = httpx.get(f"{live_server.url}/drills/exercises/{public_id}/events", timeout=10)
    assert refused.status_code == 404  # neither a reader nor a participant


def _held_open(env: Runtime) -> str:
    scenario = require(library()["tabletop-ransomware"])
    now = env.clock.now()
    with env.db.session() as session:
        return create_exercise(
            session, SYSTEM, scenario, wards=[WARD_A], speed=1, start_at=now, now=now
        ).public_id


def _next_update(lines: Any) -> str:
    for line in lines:
        if line.startswith("data: "):
            return str(line[len("data: ") :])
    raise AssertionError("the stream ended")
