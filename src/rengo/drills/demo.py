"""``rengo demo``: one completed live exercise and one completed tabletop this fiscal year.

The live exercise is the library's ransomware scenario on 千代田区 at ×240, replayed for
real from the spool on: ``rengo demo`` runs without a server, so its runner hands the
telemetry to the SOC's write-ahead spool as the ingest API does (a live exercise posts
it over HTTP), the lake stores it, incremental detection raises the alerts,
and a CSIRT responder opens an incident from the first one — containment is left undone,
so the report shows a gap and a follow-up task. The tabletop has three participants who
answer the decision points and draft the report to the mayor.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select

from rengo.core.demo import DemoContext, step
from rengo.core.permissions import SYSTEM, Principal, Role
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.drills.models import Exercise
from rengo.drills.scoring import finish, lake_of
from rengo.drills.senders import TEXT_FORMATS, Outcome
from rengo.drills.service import change_status, create_exercise
from rengo.drills.settings import DrillsSettings
from rengo.soc.settings import SocSettings

LIVE_WARD = "131016"
TABLETOP_WARD = "131130"


def _done(runtime: Runtime, scenario_id: str) -> bool:
    with runtime.db.session() as session:
        return (
            session.scalar(
                select(Exercise.id).where(
                    Exercise.scenario_id == scenario_id, Exercise.status == "completed"
                )
            )
            is not None
        )


class SpoolSender:
    """``rengo demo`` runs without a server: the records go to the SOC's write-ahead
    spool exactly as the ingest API puts them there after checking the token."""

    def __init__(self, runtime: Runtime) -> None:
        from rengo.soc.service import store_for

        self.runtime = runtime
        self.store = store_for(runtime.data_dir, runtime.settings.section(SocSettings))

    def __call__(self, ward: TenantCode, token: str, fmt: str, source: str, body: bytes) -> Outcome:
        from rengo.soc.spool import Batch, IngestBusy

        batch = Batch(
            ward=ward,
            source=source,
            format=fmt,
            records=[body],
            origin="exercise",
            received=self.runtime.clock.now(),
            content_type="text/plain" if fmt in TEXT_FORMATS else "application/x-ndjson",
        )
        try:
            return Outcome("stored", self.store.accept([batch], 2.0))
        except IngestBusy as exc:
            return Outcome("retry", detail=str(exc))

    def close(self) -> None:
        """The spool stays open: it belongs to the process, not to one exercise."""


def _live(ctx: DemoContext, runtime: Runtime) -> str:
    from rengo.csirt import incidents
    from rengo.csirt.schemas import IncidentCreate
    from rengo.csirt.soc_adapter import SocAlertSource
    from rengo.drills.catalog import rule_catalog
    from rengo.drills.live import LiveRunner
    from rengo.drills.loader import library, require
    from rengo.soc.alerts_models import Alert
    from rengo.soc.detect.runner import IncrementalDetector, load_configured_rules, open_lake
    from rengo.soc.service import close_stores

    rules = rule_catalog(runtime)
    scenario = require(library(rules)["ransomware-vpn"])
    now = runtime.clock.now()
    with runtime.db.session() as session:
        public_id = create_exercise(
            session, SYSTEM, scenario, wards=[LIVE_WARD], speed=240, start_at=now, now=now
        ).public_id
    detector = IncrementalDetector(runtime, load_configured_rules(runtime), open_lake(runtime))
    detector.cursor = lake_of(runtime.data_dir).head()  # only what the exercise sends from here
    stop = threading.Event()

    def detect() -> None:
        while not stop.is_set():
            detector.run_once()
            stop.wait(0.3)

    runner = LiveRunner(runtime, public_id, rules, sender=SpoolSender(runtime))
    runner.start(SYSTEM)
    watcher = threading.Thread(target=detect, daemon=True)
    watcher.start()
    responder = Principal("joint", Role.CSIRT, username="csirt-demo")
    opened = False
    try:
        while (status := runner.step()) not in ("completed", "aborted"):
            if not opened:
                with runtime.db.session() as session:
                    alert = session.scalar(
                        select(Alert.public_id).where(Alert.exercise_id == public_id).limit(1)
                    )
                    if alert is not None:
                        incidents.create_incident(
                            session,
                            responder,
                            IncidentCreate(category="ransomware", alert_ids=[alert]),
                            runtime.settings,
                            alert_source=SocAlertSource(runtime.clock),
                            now=runtime.clock.now(),
                        )
                        opened = True
            stop.wait(0.1)
    finally:
        stop.set()
        watcher.join(10)
        detector.close()
        close_stores()
    return f"{public_id} ({status}, {runner.stats.sent} records)"


def _tabletop(runtime: Runtime, now: datetime) -> str:
    from rengo.drills import tabletop
    from rengo.drills.loader import library, require

    scenario = require(library()["tabletop-ransomware"])
    with runtime.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, scenario, wards=[TABLETOP_WARD], speed=1, start_at=now, now=now
        )
        public_id, code = exercise.public_id, str(exercise.join_code)
        people = [
            tabletop.join_with_code(session, code, name, now)[1]
            for name in ("区長", "副区長", "情報政策課長")
        ]
        for n, inject in enumerate(scenario.injects):
            tabletop.send_inject(session, SYSTEM, public_id, inject.id, now)
            for k, person in enumerate(people):
                if inject.decision is not None and (n + k) % 4 != 3:
                    tabletop.decide(session, person, inject.id, (n + k) % 2, "", now)
        for template in ("mayor_report", "authority_notification"):
            body = tabletop.draft_text(exercise, template)
            tabletop.save_draft(session, people[2], template, body, now)
        exercise = change_status(session, SYSTEM, public_id, "complete", now)
        tabletop.update_results(session, exercise, now)
        finish(session, exercise, runtime.settings.section(DrillsSettings).followup_due_days, now)
    return public_id


@step(
    "drills", 48, "Cyber exercises: a live ransomware exercise replayed through the SOC, a tabletop"
)
def demo_exercises(ctx: DemoContext) -> None:
    runtime = Runtime(settings=ctx.settings, db=ctx.db, data_dir=ctx.data_dir)
    done = []
    if not _done(runtime, "ransomware-vpn"):
        try:
            done.append(f"live {_live(ctx, runtime)}")
        except Exception as error:  # the demo goes on without it; say why
            done.append(f"live exercise skipped ({type(error).__name__}: {error})")
    if not _done(runtime, "tabletop-ransomware"):
        done.append(f"tabletop {_tabletop(runtime, runtime.clock.now())}")
    ctx.report("drills: " + ("; ".join(done) or "exercises already there"))
