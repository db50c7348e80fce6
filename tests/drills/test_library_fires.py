"""The shipped live scenarios' expected detections really fire: each is replayed from the
SOC spool on (lake, incremental detection, alert queue, tagging, scoring — the demo's
path) and every detection and campaign expectation must be met in time."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.demo import SpoolSender
from rengo.drills.live import LiveRunner
from rengo.drills.loader import RuleCatalog, library, require
from rengo.drills.models import Result
from rengo.drills.scoring import lake_of
from rengo.drills.service import create_exercise
from rengo.soc.detect.runner import IncrementalDetector, load_configured_rules, open_lake
from rengo.soc.service import close_stores

WARDS = {
    "ransomware-vpn": ["131016"],
    "phishing-campaign": ["131016", "131024", "131130"],
    "insider-export": ["131130"],
    "saas-compromise": ["131059"],
}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("scenario_id", sorted(WARDS))
def test_the_library_scenario_is_detected(
    scenario_id: str, env: Runtime, rules: RuleCatalog, make_asset: Any
) -> None:
    from rengo.core.permissions import Principal, Role

    # The ward's register names its My Number segment (the three-layer rule reads it).
    owner = Principal("131130", Role.WARD_IT, username="it-nakano")
    make_asset(principal=owner, segment="mynumber", ip_ranges=["10.60.0.0/16"])
    scenario = require(library(rules)[scenario_id])
    now = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=WARDS[scenario_id], speed=120, start_at=now, now=now
        )
        public_id, exercise_id = exercise.public_id, exercise.id
    detector = IncrementalDetector(env, load_configured_rules(env), open_lake(env))
    detector.cursor = lake_of(env.data_dir).head()
    stop = threading.Event()

    def detect() -> None:
        while not stop.is_set():
            detector.run_once()
            stop.wait(0.3)

    runner = LiveRunner(env, public_id, rules, sender=SpoolSender(env), tick_seconds=0.1)
    runner.start(SYSTEM)
    watcher = threading.Thread(target=detect, daemon=True)
    watcher.start()
    detections = ("detection", "campaign")
    try:
        while True:
            runner.step()
            with env.db.session() as session:
                results = list(
                    session.scalars(
                        select(Result).where(
                            Result.exercise_id == exercise_id, Result.kind.in_(detections)
                        )
                    )
                )
            if all(r.status != "pending" for r in results):
                break
            stop.wait(0.1)
    finally:
        stop.set()
        watcher.join(10)
        detector.close()
        close_stores()
    assert results
    assert {(r.expectation_id, r.ward): r.status for r in results} == {
        (r.expectation_id, r.ward): "met" for r in results
    }
