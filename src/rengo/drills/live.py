"""Running a live exercise: telemetry through the real ingest, then scoring as it happens.

The runner behaves as each ward's log collector would: it holds a ward ingest token per
ward (made for the exercise, revoked when it ends) and POSTs its records to the running
server's ``/api/v1/soc/ingest`` with ``origin=exercise`` and
``source=exercise:<id>``. From there nothing is special: the spool, the lake, detection,
the alert queue and the CSIRT handle them as any other logs. Each tick it sends what is
due (records carry the real time they are sent at, compressed by the speed), tags what
the exercise caused and updates the results; it ends when every inject is sent and
every expectation is settled (or its time is up), and cleans up when aborted.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.errors import Conflict, InvalidInput, Problem
from rengo.core.identity import create_token, revoke_token
from rengo.core.permissions import SYSTEM, Principal
from rengo.core.runtime import Runtime
from rengo.core.types import TenantCode
from rengo.drills.loader import RuleCatalog
from rengo.drills.models import Exercise, InjectRun, Result, Transport
from rengo.drills.purge import clean_up_aborted
from rengo.drills.scoring import attribute, finish, lake_of, source_of, update_results
from rengo.drills.senders import HttpSender, Sender, SyslogSender
from rengo.drills.service import (
    change_status,
    inject_wards,
    lock_exercise,
    real_time,
    scenario_of,
)
from rengo.drills.settings import DrillsSettings, ingest_url
from rengo.drills.telemetry import Context, WardFacts, generate
from rengo.soc.detect.runner import detected_up_to
from rengo.soc.settings import SocSettings

log = logging.getLogger("rengo.drills")


@dataclass(order=True)
class Due:
    at: datetime
    ward: TenantCode = field(compare=False)
    format: str = field(compare=False)
    body: bytes = field(compare=False)


@dataclass
class RunStats:
    sent: int = 0
    requests: int = 0
    retries: int = 0
    first_sent: float | None = None
    last_sent: float | None = None
    sent_at: dict[str, datetime] = field(default_factory=dict)
    """Inject id -> real time its first records went out (for inject-to-alert times)."""

    @property
    def rate(self) -> float:
        """Records per second over the sending period."""
        if self.first_sent is None or self.last_sent is None or self.last_sent <= self.first_sent:
            return 0.0
        return self.sent / (self.last_sent - self.first_sent)


class LiveRunner:
    """Drives one live exercise; ``run`` blocks until it ends (or ``stop`` is set)."""

    def __init__(
        self,
        runtime: Runtime,
        public_id: str,
        rules: RuleCatalog,
        *,
        base_url: str | None = None,
        sender: Sender | None = None,
        tick_seconds: float = 0.25,
    ) -> None:
        self.runtime, self.public_id, self.rules = runtime, public_id, rules
        self.settings = runtime.settings.section(DrillsSettings)
        self.sender = sender or self._sender(base_url or ingest_url(runtime.settings))
        self.tick = tick_seconds
        self.tokens: dict[str, str] = {}
        self.queue: list[Due] = []
        self.generated: set[tuple[str, str]] = set()
        self.stats = RunStats()
        self.last_score = 0.0
        self.positions: int = 0

    def _sender(self, base_url: str) -> Sender:
        """The exercise's transport (``Exercise.transport``): HTTP, or syslog to the
        server's listener (``soc.syslog_host``, ``soc.syslog_tcp_port``)."""
        http = HttpSender(base_url)
        with self.runtime.db.session() as session:
            transport: Transport | None = session.scalar(
                select(Exercise.transport).where(Exercise.public_id == self.public_id)
            )
        if transport != "syslog":
            return http
        soc = self.runtime.settings.section(SocSettings)
        if soc.syslog_tcp_port is None:
            raise InvalidInput(
                "no syslog listener",
                [Problem("set soc.syslog_tcp_port (the server's TCP listener)", "transport")],
            )
        host = "127.0.0.1" if soc.syslog_host in ("0.0.0.0", "::") else soc.syslog_host  # noqa: S104 - the address the listener binds, never bound here
        return SyslogSender(host, soc.syslog_tcp_port, http)

    # -- start -----------------------------------------------------------------------

    def start(self, principal: Principal) -> Exercise:
        """Start the exercise now and make its ward ingest tokens."""
        now = self.runtime.clock.now()
        with self.runtime.db.session() as session:
            exercise = change_status(session, principal, self.public_id, "start", now)
            self._issue_tokens(session, exercise, principal, now)
            exercise.heartbeat_at = now
            session.flush()
            session.expunge(exercise)
        return exercise

    def adopt(self) -> Exercise:
        """Take up a running or paused exercise whose runner stopped (the server or the
        CLI restarted): new ward tokens (the old ones' secrets died with the runner, so
        they are revoked), the injects already sent known, and the records not yet
        delivered (after ``delivered_until``) generated again — the same records, as
        generation is seeded — and queued at their own times. The scenario clock is the
        database's (``start_at``, pauses), so nothing shifts."""
        now = self.runtime.clock.now()
        with self.runtime.db.session() as session:
            exercise = lock_exercise(session, self.public_id)
            if exercise.status not in ("running", "paused"):
                raise Conflict(
                    "cannot {action} an exercise that is {status}",
                    values={"action": "resume", "status": exercise.status},
                )
            revoke_tokens(session, exercise, now)
            self._issue_tokens(session, exercise, SYSTEM, now)
            exercise.heartbeat_at = now
            scenario = scenario_of(exercise)
            requeued = 0
            for run in session.scalars(
                select(InjectRun).where(
                    InjectRun.exercise_id == exercise.id, InjectRun.sent_at.is_not(None)
                )
            ):
                self.generated.add((run.inject_id, run.ward))
                inject = scenario.inject(run.inject_id)
                if inject.telemetry is None or run.error or run.sent_at is None:
                    continue
                after = exercise.delivered_until or exercise.start_at
                due = [
                    d for d in self._records(session, exercise, run, run.sent_at) if d.at > after
                ]
                self.queue += due
                requeued += len(due)
            self.queue.sort()
            audit.record(
                session,
                SYSTEM,
                "drills.exercise.adopt",
                object_type="drills_exercise",
                object_id=exercise.public_id,
                detail={"requeued": requeued, "delivered_until": str(exercise.delivered_until)},
                at=now,
            )
            session.flush()
            session.expunge(exercise)
        return exercise

    def _issue_tokens(
        self, session: Session, exercise: Exercise, principal: Principal, now: datetime
    ) -> None:
        made = []
        for ward in exercise.wards:
            token, plaintext = create_token(
                session,
                tenant=ward,
                role="ward_it",
                name=f"drill {exercise.public_id}",
                created_by=principal.label,
                expires_at=now + timedelta(days=2),
            )
            self.tokens[ward] = plaintext
            made.append(token.id)
        exercise.token_ids = [*exercise.token_ids, *made]

    # -- the loop --------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> str:
        """Tick until the exercise ends; return its final status."""
        stop = stop or threading.Event()
        try:
            while not stop.is_set():
                status = self.step()
                if status in ("completed", "aborted", "interrupted"):
                    return status
                stop.wait(self.tick)
            return "stopped"
        finally:
            self.sender.close()

    def step(self) -> str:
        now = self.runtime.clock.now()
        with self.runtime.db.session() as session:
            status = session.scalar(
                select(Exercise.status).where(Exercise.public_id == self.public_id)
            )
        if status == "aborted":  # stop sending; what it caused goes once stored and seen
            self.queue.clear()
            self._wait_stored()
            clean_up_aborted(self.runtime.db, self.runtime.data_dir, self.public_id, now)
            return status  # its tokens went with the rest
        with self.runtime.db.session() as session:
            exercise = lock_exercise(session, self.public_id)
            status = exercise.status
            delivered = None
            if status == "running":
                self._enqueue(session, exercise, now)
                if self._send(exercise, now):
                    delivered = now
            if time.monotonic() - self.last_score >= self.settings.poll_seconds or not self.queue:
                self.last_score = time.monotonic()
                attribute(session, self.runtime.data_dir, exercise, now)
                results = update_results(session, exercise, self.rules, now)
                if status == "running" and self._over(exercise, results):
                    finish(session, exercise, self.settings.followup_due_days, now)
                    change_status(
                        session,
                        SYSTEM,
                        exercise.public_id,
                        "complete",
                        now,
                        {"records": exercise.telemetry_records, "rate": round(self.stats.rate, 1)},
                    )
                    self._revoke(session, exercise, now)
                    return "completed"
        self._beat(now, delivered)
        return status

    def _beat(self, now: datetime, delivered: datetime | None) -> None:
        """The runner is alive (and delivered everything due up to ``delivered``): in a
        transaction of its own, so that no write lock is held while sending."""
        values: dict[str, datetime] = {"heartbeat_at": now}
        if delivered is not None:
            values["delivered_until"] = delivered
        with self.runtime.db.session() as session:
            session.execute(
                update(Exercise).where(Exercise.public_id == self.public_id).values(**values)
            )

    def _over(self, exercise: Exercise, results: list[Result]) -> bool:
        """Everything sent and every expectation met or past its time."""
        if self.queue or any(r.status == "pending" for r in results):
            return False
        scenario = scenario_of(exercise)
        return all(
            (i.id, w) in self.generated
            for i in scenario.injects
            for w in inject_wards(i, exercise.wards)
        )

    def _enqueue(self, session: Session, exercise: Exercise, now: datetime) -> None:
        scenario = scenario_of(exercise)
        runs = session.scalars(
            select(InjectRun).where(
                InjectRun.exercise_id == exercise.id, InjectRun.sent_at.is_(None)
            )
        )
        for run in runs:
            if real_time(exercise, run.due_minutes) > now:
                continue
            inject = scenario.inject(run.inject_id)
            self.generated.add((run.inject_id, run.ward))
            self.stats.sent_at.setdefault(run.inject_id, now)
            run.sent_at = now
            if inject.telemetry is None:
                continue
            records = self._records(session, exercise, run, now)
            if exercise.telemetry_records + len(records) > self.settings.max_telemetry_records:
                run.error = "max_telemetry_records reached: not sent"
                continue
            run.records = len(records)
            exercise.telemetry_records += len(records)
            self.queue += records
        self.queue.sort()
        session.flush()

    def _records(
        self, session: Session, exercise: Exercise, run: InjectRun, start: datetime
    ) -> list[Due]:
        """The records of one inject for one ward, sent from ``start`` on (seeded by the
        exercise, inject and ward: generating them again gives the same records)."""
        t = scenario_of(exercise).inject(run.inject_id).telemetry
        assert t is not None
        ctx = Context(
            WardFacts.from_register(session, run.ward),
            start,
            random.Random(f"{exercise.public_id}|{run.inject_id}|{run.ward}"),
            t.spread_seconds / exercise.speed,
            dict(t.params),
        )
        return [
            Due(start + timedelta(seconds=r.offset), run.ward, r.format, r.body)
            for r in generate(t.template, ctx, t.count, t.noise)
        ]

    def _send(self, exercise: Exercise, now: datetime) -> bool:
        """Send what is due; ``True`` when everything due up to ``now`` was delivered."""
        due = [d for d in self.queue if d.at <= now]
        if not due:
            return True
        groups: dict[tuple[str, str], list[Due]] = defaultdict(list)
        for d in due:
            groups[(d.ward, d.format)].append(d)
        sent: set[int] = set()
        for (ward, fmt), items in groups.items():
            if self._post(exercise, ward, fmt, [d.body for d in items]):
                sent.update(id(d) for d in items)
        self.queue = [d for d in self.queue if id(d) not in sent]
        return len(sent) == len(due)

    def _post(self, exercise: Exercise, ward: TenantCode, fmt: str, bodies: list[bytes]) -> bool:
        """Send one batch; ``False`` when it should be tried again at the next tick."""
        outcome = self.sender(ward, self.tokens[ward], fmt, source_of(exercise), b"\n".join(bodies))
        if outcome.status == "retry":
            log.warning("exercise %s: ingest busy (%s)", exercise.public_id, outcome.detail)
            self.stats.retries += 1
            return False
        if outcome.status == "refused":
            log.error("exercise %s: ingest refused: %s", exercise.public_id, outcome.detail)
            return True  # not retried; counted as sent so the exercise goes on
        self.positions = max(self.positions, outcome.position)
        clock = time.monotonic()
        self.stats.first_sent = self.stats.first_sent or clock
        self.stats.last_sent = clock
        self.stats.sent += len(bodies)
        self.stats.requests += 1
        return True

    # -- the end -----------------------------------------------------------------------

    def _wait_stored(self, timeout: float = 30.0, detection: float = 10.0) -> None:
        """Wait until the lake holds what was sent, and (when detection follows the lake
        here) until detection has looked at it — the alerts it raises carry the exercise
        id, so the clean-up that follows removes them too rather than leaving them to
        appear after it."""
        lake, deadline = lake_of(self.runtime.data_dir), time.monotonic() + timeout
        while lake.head() < self.positions and time.monotonic() < deadline:
            time.sleep(0.1)
        deadline = min(deadline, time.monotonic() + detection)
        while time.monotonic() < deadline:
            seen = detected_up_to(self.runtime.data_dir)
            if seen is None or seen >= self.positions:
                return
            time.sleep(0.1)

    def _revoke(self, session: Session, exercise: Exercise, now: datetime) -> None:
        revoke_tokens(session, exercise, now)
        self.queue.clear()


def revoke_tokens(session: Session, exercise: Exercise, now: datetime) -> None:
    """The exercise's ward ingest tokens stop working (once it has ended)."""
    if not exercise.token_ids:
        return
    for token_id in exercise.token_ids:
        revoke_token(session, token_id, now)
    audit.record(
        session,
        SYSTEM,
        "drills.exercise.tokens_revoked",
        object_type="drills_exercise",
        object_id=exercise.public_id,
        detail={"tokens": list(exercise.token_ids)},
        at=now,
    )
