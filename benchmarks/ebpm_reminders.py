"""Training reminders (issue 14): the worker hook over a whole-city roster.

    PYTHONPATH=$PWD/src .venv/bin/python benchmarks/ebpm_reminders.py --staff 60000 --rounds 20

A roster of ``--staff`` people across the 23 wards (every one with an e-mail address),
``--completed`` of them with the required course. Times the first scheduled pass (every
pending person gets an e-mail queued in the notify outbox and a reminder row), then
``--rounds`` further worker rounds in which nobody is due (what the hook costs every
15 s), and prints reminders per second, p50/p95 of the idle round and the peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from rengo.core.runtime import Runtime
from rengo.core.settings import Settings
from rengo.core.tenancy import sync_tenants
from rengo.core.wards import ward_codes
from rengo.ebpm.models import Completion, StaffMember
from rengo.ebpm.reminders import scheduled_reminders
from rengo.ebpm.training import ensure_courses
from rengo.migrations import upgrade


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=60_000)
    parser.add_argument("--completed", type=float, default=0.7)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/rengo_bench"
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rengo-reminder-bench-"))
    url = f"sqlite:///{root / 'rengo.db'}" if args.backend == "sqlite" else args.pg_url
    upgrade(url)
    runtime = Runtime.from_settings(Settings(data_dir=root / "data", database_url=url))
    wards = sorted(ward_codes())
    with runtime.db.session() as session:
        sync_tenants(session)
        course = ensure_courses(session)["DL-BASIC"]
        people = [
            {
                "tenant": wards[i % len(wards)],
                "staff_id": f"S{i:06d}",
                "name": "",
                "department": f"部{i % 40}",
                "email": f"s{i}@ward.example.test",
                "updated_at": datetime.now(UTC),
            }
            for i in range(args.staff)
        ]
        session.execute(insert(StaffMember), people)
        done = int(args.staff * args.completed)
        session.execute(
            insert(Completion),
            [
                {
                    "tenant": p["tenant"],
                    "staff_id": p["staff_id"],
                    "department": p["department"],
                    "course_id": course.id,
                    "completed_on": date(2026, 5, 1),
                    "source": "import",
                    "recorded_at": datetime.now(UTC),
                }
                for p in people[:done]
            ],
        )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    started = time.perf_counter()
    with runtime.db.session() as session:
        sent = scheduled_reminders(session, runtime.settings, now)
    first = time.perf_counter() - started
    idle = []
    for i in range(args.rounds):
        started = time.perf_counter()
        with runtime.db.session() as session:
            assert scheduled_reminders(session, runtime.settings, now + timedelta(minutes=i)) == 0
        idle.append(time.perf_counter() - started)
    idle.sort()
    p95 = idle[min(len(idle) - 1, round(0.95 * (len(idle) - 1)))]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"backend {args.backend}: roster {args.staff:,}, {done:,} completed")
    print(f"first pass: {sent:,} reminders queued in {first:.2f} s ({sent / first:,.0f}/s)")
    print(
        f"idle round (nobody due), {args.rounds} rounds: p50 "
        f"{statistics.median(idle) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
    )
    print(f"peak RSS {rss:.0f} MiB")
    runtime.close()


if __name__ == "__main__":
    main()
