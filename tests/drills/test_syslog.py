"""A live exercise replayed by syslog, as a ward's firewall sends it: the FortiGate
records go over a real TCP connection to the server's syslog listener, RFC 5424
octet-counted and tagged ``[rengo@32473 exercise=… ward=…]``; the listener keeps them as
the exercise's (origin, source, ward) only while that exercise runs with that ward."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.drills.live import LiveRunner
from rengo.drills.loader import RuleCatalog
from rengo.drills.models import Exercise, Result
from rengo.drills.scenario import Scenario
from rengo.drills.scoring import lake_of
from rengo.drills.senders import syslog_frame
from rengo.drills.service import create_exercise
from rengo.soc.settings import SocSettings
from tests.conftest import LiveServer
from tests.drills.conftest import following, wait_for
from tests.helpers import WARD_A, WARD_B, free_port


def _with_listener(env: Runtime, tmp_path: Path) -> int:
    ward_map = tmp_path / "wards.txt"
    ward_map.write_text(f"127.0.0.0/8 {WARD_B}\n", encoding="utf-8")
    port = free_port()
    soc = env.settings.section(SocSettings)
    env.settings.use(
        soc.model_copy(
            update={
                "syslog_enabled": True,
                "syslog_tcp_port": port,
                "syslog_udp_port": None,
                "syslog_ward_map": ward_map,
                "syslog_flush_ms": 50,
            }
        )
    )
    return port


def _lake_rows(env: Runtime) -> list[tuple[Any, ...]]:
    lake = lake_of(env.data_dir)
    relation = lake.source_of([path for _, path in lake.event_files()])
    if relation is None:  # nothing in the lake yet
        return []
    cursor = lake.connect()
    rows = cursor.execute(
        f"SELECT origin, source, ward, starts_with(raw, '<190>1 ') AS by_syslog, count(*) "
        f"FROM {relation} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    cursor.close()
    return rows


def test_syslog_replay_through_the_listener(
    env: Runtime,
    tmp_path: Path,
    detect_only: Scenario,
    rules: RuleCatalog,
) -> None:
    from rengo.web.app import create_app

    port = _with_listener(env, tmp_path)
    with LiveServer(create_app(following(env))) as server:
        now = env.clock.now()
        with env.db.session() as session:
            exercise = create_exercise(
                session,
                SYSTEM,
                detect_only,
                wards=[WARD_A],
                speed=1.0,
                start_at=now,
                now=now,
                transport="syslog",
            )
            public_id = exercise.public_id
        # Before it runs, its tag is not taken: the message is the mapped ward's real data.
        forged = syslog_frame(b'date=2026-12-07 devname="fw" msg="x"', public_id, WARD_A, now)
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(forged)
        wait_for(lambda: any(r[1] == "syslog:127.0.0.1" for r in _lake_rows(env)), timeout=30)
        runner = LiveRunner(env, public_id, rules, base_url=server.url, tick_seconds=0.1)
        runner.start(SYSTEM)
        stop = threading.Event()
        thread = threading.Thread(target=runner.run, args=(stop,))
        thread.start()
        thread.join(150)
        stop.set()
        assert not thread.is_alive()
        with env.db.session() as session:
            done = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
            assert done is not None and done.status == "completed"
            assert done.transport == "syslog"
            met = {r.expectation_id: r.status for r in session.scalars(select(Result))}
        source = f"exercise:{public_id}"

        def stored() -> int:
            return sum(r[4] for r in _lake_rows(env) if r[:3] == ("exercise", source, WARD_A))

        # The runner closed its connection; the listener spools what it read within
        # soc.syslog_flush_ms and the lake writer stores it a moment later.
        try:
            wait_for(lambda: stored() >= 62, timeout=30)
        except AssertionError:
            raise AssertionError(f"not all 62 records stored: {_lake_rows(env)}") from None
    assert met["spray-detected"] == "met" and met["backups-detected"] == "met"
    rows = _lake_rows(env)
    mine = {r[3]: r[4] for r in rows if r[:3] == ("exercise", source, WARD_A)}
    # The 30 spray records and the FortiGate part of the noise came by syslog, tagged;
    # Windows events and squid lines by HTTP, as their shippers would send them.
    assert mine[True] >= 30 and mine[False] >= 2 and mine[True] + mine[False] == 62, rows
    # The message tagged before the exercise ran is the mapped ward's real data.
    assert ("real", "syslog:127.0.0.1", WARD_B, True, 1) in rows
    assert len(rows) == 3, rows


def test_the_tag_is_read_only_from_rfc5424_structured_data() -> None:
    from rengo.soc.syslog_server import exercise_tag

    stamp = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    framed = syslog_frame(b"msg", "EX-20261207-ABC123", WARD_A, stamp)
    length, message = framed.split(b" ", 1)
    assert int(length) == len(message)
    assert message.startswith(b"<190>1 2026-12-07T01:00:00.000Z - fortigate - - [rengo@32473")
    assert exercise_tag(message) == ("EX-20261207-ABC123", WARD_A)
    assert exercise_tag(b'<190>1 - - - - - - exercise="EX-1" ward="131016"') is None
    assert exercise_tag(b'<190>1 - - - - - [rengo@32473 exercise="EX-1"] x') is None


def test_a_refused_tag_is_asked_again_once_the_exercise_starts(
    env: Runtime, short_live: Scenario
) -> None:
    """A "no" kept for half a second refused the first records of an exercise that
    started within it: they became the ward's real data. Now a "no" is asked again at
    once, and kept only under a flood of refused tags."""
    from rengo.drills.senders import RunningExercises
    from rengo.drills.service import change_status

    now = env.clock.now()
    with env.db.session() as session:
        exercise = create_exercise(
            session, SYSTEM, short_live, wards=[WARD_A], speed=1.0, start_at=now, now=now
        )
        public_id = exercise.public_id
    check = RunningExercises(env, lookups_per_second=3)
    assert not check(public_id, WARD_A)  # scheduled, not running
    with env.db.session() as session:
        change_status(session, SYSTEM, public_id, "start", now)
    assert check(public_id, WARD_A)
    assert not check(public_id, WARD_B)  # not one of its wards
    # A flood of forged tags: after the budget of lookups, the kept "no" answers.
    forged = RunningExercises(env, keep_no=60, lookups_per_second=3)
    assert not any(forged("EX-00000000-FORGED", WARD_A) for _ in range(10))
    queries: list[str] = []
    forged._wards_of = lambda exercise: queries.append(exercise) or []  # type: ignore[method-assign]
    assert not any(forged("EX-00000000-FORGED", WARD_A) for _ in range(10))
    assert queries == []
