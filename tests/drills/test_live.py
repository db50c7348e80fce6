"""A live exercise end to end over real HTTP: ingest → lake → detection → alert queue →
CSIRT incident, scored against the real clock; exercise data kept out of real KPIs;
purge removes exactly what the exercise caused."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from rengo.core.identity import ApiToken
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.csirt.models import Incident
from rengo.drills.live import LiveRunner
from rengo.drills.loader import RuleCatalog
from rengo.drills.models import Exercise, FollowUp, Result
from rengo.drills.purge import purge
from rengo.drills.scenario import Scenario
from rengo.drills.scoring import lake_of
from rengo.drills.service import create_exercise
from rengo.soc.alerts_models import Alert
from rengo.soc.lake_purge import event_ids_of_source
from rengo.targets.registry import TargetContext, fiscal_year_start, targets
from tests.conftest import LiveServer
from tests.drills.conftest import DETECT_ONLY, wait_for
from tests.helpers import JOINT, ROOT, WARD_A, bearer


def _real_event(client: httpx.Client, token: str) -> None:
    """A real (non-exercise) detection in the same ward, which purge must leave alone."""
    import orjson

    body = orjson.dumps(
        {
            "time": "2026-04-01T09:00:00Z",
            "class_uid": 1007,
            "device_hostname": "real-fs",
            "process_cmd_line": "vssadmin.exe delete shadows /all /quiet",
        }
    )
    sent = client.post(
        "/api/v1/soc/ingest", params={"format": "json"}, content=body, headers=bearer(token)
    )
    assert sent.status_code == 200, sent.text


def test_live_exercise_end_to_end(
    env: Runtime,
    detecting_server: LiveServer,
    short_live: Scenario,
    rules: RuleCatalog,
    tokens: Any,
) -> None:
    http = httpx.Client(base_url=detecting_server.url, timeout=30)
    _real_event(http, tokens(WARD_A, "ward_it"))
    wait_for(lambda: _count(env, Alert.origin == "real"))
    started = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, short_live, wards=[WARD_A], speed=1.0, start_at=started, now=started
        )
        public_id = exercise.public_id
    runner = LiveRunner(env, public_id, rules, base_url=detecting_server.url, tick_seconds=0.1)
    runner.start(SYSTEM)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        soc, csirt = bearer(tokens(JOINT, "soc_analyst")), bearer(tokens(JOINT, "csirt"))
        alert = wait_for(lambda: _tagged_alert(env, public_id, "Shadow copies"), timeout=60)
        acked = http.post(
            f"/api/v1/soc/alerts/{alert}/status", json={"status": "acknowledged"}, headers=soc
        )
        assert acked.status_code == 200, acked.text
        opened = http.post(
            "/api/v1/incidents",
            json={"category": "ransomware", "alert_ids": [alert]},
            headers=csirt,
        )
        assert opened.status_code in (200, 201), opened.text
        thread.join(150)
        assert not thread.is_alive(), "the exercise did not end"
    finally:
        stop.set()
        thread.join(5)
    ended = env.clock.now()
    with env.db.session() as session:
        done = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        assert done is not None and done.status == "completed"
        exercise = done
        results = {
            r.expectation_id: r
            for r in session.scalars(select(Result).where(Result.exercise_id == exercise.id))
        }
        detected = results["backups-detected"]
        assert detected.status == "met" and detected.reference == alert
        # Times against the real clock: after the start, before the end, ack after detection.
        assert detected.met_at is not None and started <= detected.met_at <= ended
        assert detected.acknowledged_at is not None
        assert detected.met_at <= detected.acknowledged_at <= ended
        assert "soc_analyst" in detected.acknowledged_by
        assert results["spray-detected"].status == "met"
        assert results["incident-opened"].status == "met"
        assert results["incident-opened"].reference.startswith("INC-")
        assert results["contained"].status == "missed"  # nobody contained it
        followups = session.scalars(select(FollowUp).where(FollowUp.exercise_id == exercise.id))
        assert [(f.expectation_id, f.owner) for f in followups] == [("contained", WARD_A)]
        incident = session.scalar(select(Incident).where(Incident.exercise_id == public_id))
        assert incident is not None and incident.origin == "exercise"
        assert exercise.telemetry_records == 2 + 20 + 30 + 10
        # The ward tokens the runner sent with no longer work.
        made = list(session.scalars(select(ApiToken).where(ApiToken.id.in_(exercise.token_ids))))
        assert len(made) == 1 and made[0].revoked_at is not None
    assert runner.stats.sent == 62

    # Exercise data never counts toward real targets.
    assert _real_kpis_ignore_exercise(env)

    # Purge: every exercise row and lake event goes, the real alert and event stay.
    lake = lake_of(env.data_dir)
    today = ended.date()
    source = f"exercise:{public_id}"
    assert len(event_ids_of_source(lake, source, [WARD_A], today - timedelta(1), today)) == 62
    real_before = _count(env, Alert.origin == "real")
    with env.db.session() as session:
        report = purge(session, SYSTEM, env.data_dir, public_id, env.clock.now())
    assert report.events == 62 and report.incidents == 1 and report.alerts >= 2
    assert event_ids_of_source(lake, source, [WARD_A], today - timedelta(1), today) == set()
    assert _count(env, Alert.exercise_id.is_not(None)) == 0
    assert _count(env, Alert.origin == "real") == real_before == 1
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Exercise)) == 0
        assert session.scalar(select(func.count()).select_from(Incident)) == 0
        names = set(session.scalars(select(ApiToken.name)))
        assert not any(n.startswith("drill ") for n in names) and names  # the test's stay
    relation = lake.source_of([path for _, path in lake.event_files()])
    cursor = lake.connect()
    left = cursor.execute(f"SELECT origin, device_hostname FROM {relation}").fetchall()
    cursor.close()
    assert left == [("real", "real-fs")]


def _count(env: Runtime, condition: Any) -> int:
    with env.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Alert).where(condition)) or 0)


def _tagged_alert(env: Runtime, public_id: str, title: str) -> str | None:
    with env.db.session() as session:
        return session.scalar(
            select(Alert.public_id).where(
                Alert.exercise_id == public_id, Alert.rule_title.startswith(title)
            )
        )


def _real_kpis_ignore_exercise(env: Runtime) -> bool:
    """The CSIRT's KPIs see no incident although the exercise's incident is major and
    contained (it would count once as a major incident and give an MTTC if it leaked)."""
    now = env.clock.now()
    by_id = {t.id: t for t in targets()}
    with env.db.session() as session:
        for incident in session.scalars(select(Incident)):
            incident.major, incident.major_at, incident.contained_at = True, now, now
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 1
        ctx = TargetContext(session, env.settings, env.data_dir, now, fiscal_year_start(now))
        assert by_id["m1.kgi.major_incidents"].compute is not None
        majors = by_id["m1.kgi.major_incidents"].compute(ctx)
        mttc = by_id["m1.ksi.mean_time_to_contain"].compute
        contain = mttc(ctx) if mttc else {}
    return (
        majors.get(JOINT) is not None
        and majors[JOINT].value == 0.0
        and all(m.value is None for m in contain.values())
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_cli_run_drives_an_exercise_through_a_running_server(
    env: Runtime, detecting_server: LiveServer, tmp_path: Path
) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(DETECT_ONLY, encoding="utf-8")
    environment = {
        "PYTHONPATH": str(ROOT / "src"),
        "PATH": "/usr/bin:/bin",
        "RENGO_DATABASE_URL": env.db.url,
        "RENGO_SECRET_KEY": "test-secret-key-not-for-production",
    }
    args = ["drills", "run", str(scenario), "--wards", WARD_A, "--speed", "1"]
    args += ["--url", detecting_server.url, "--data-dir", str(env.data_dir.root)]
    done = subprocess.run(
        [sys.executable, "-m", "rengo", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "completed; 62 records sent" in done.stdout
    with env.db.session() as session:
        exercise = session.scalar(select(Exercise))
        assert exercise is not None and exercise.status == "completed"
        met = {
            r.expectation_id for r in session.scalars(select(Result).where(Result.status == "met"))
        }
    assert {"backups-detected", "spray-detected"} <= met
    bad = subprocess.run(
        [sys.executable, "-m", "rengo", *args[:5], "--start-at", "2026-12-07T10:00"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert bad.returncode == 2 and "time zone" in bad.stderr
