"""A 23-ward phishing-campaign exercise at ×60 through the real pipeline.

    .venv/bin/python benchmarks/drills_campaign.py [--speed 60] [--noise 400] [--spread 240]

Starts ``rengo serve`` (a separate process, as in production) on a fresh data directory
with ``detect.follow_with_serve``; runs the library's ``phishing-campaign`` scenario on
all 23 wards with the exercise runner of this process (``rengo drills run`` does the
same), which posts every ward's telemetry to ``/api/v1/soc/ingest`` with that ward's
token. ``--noise`` benign records per ward are mixed into the mail wave, spread over
``--spread`` scenario seconds. Inside the server: HTTP → spool → lake → incremental
detection → alert queue (the mass-mail correlation per ward, then the cross-ward
campaign); the runner tags and scores what the exercise raised.

Prints the telemetry rate sustained while sending, inject → alert latency per ward
(p50/p95/max: the inject's send time to the alert's creation, both on the real clock),
inject → campaign alert, expectations met, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from tests.helpers import free_port  # noqa: E402

from rengo.core.permissions import SYSTEM  # noqa: E402
from rengo.core.runtime import Runtime  # noqa: E402
from rengo.core.settings import load_settings  # noqa: E402
from rengo.core.wards import ward_codes  # noqa: E402
from rengo.domains import load_domains  # noqa: E402
from rengo.drills.catalog import rule_catalog  # noqa: E402
from rengo.drills.live import LiveRunner  # noqa: E402
from rengo.drills.loader import library, require  # noqa: E402
from rengo.drills.models import Exercise, InjectRun, Result  # noqa: E402
from rengo.drills.scenario import Scenario  # noqa: E402
from rengo.drills.service import create_exercise  # noqa: E402
from rengo.soc.alerts_models import Alert  # noqa: E402


def scenario(noise: int, spread: float) -> Scenario:
    base = require(library()["phishing-campaign"])
    document = base.model_dump(mode="json")
    wave = document["injects"][0]
    wave["telemetry"]["noise"] = noise
    wave["telemetry"]["spread_seconds"] = spread
    return Scenario.model_validate(document)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--noise", type=int, default=400, help="benign records per ward")
    parser.add_argument("--spread", type=float, default=240.0, help="scenario seconds")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="rengo-drills-bench-"))
    env = dict(
        os.environ,
        RENGO_DATA_DIR=str(data),
        RENGO_DETECT__FOLLOW_WITH_SERVE="true",
        RENGO_DETECT__POLL_SECONDS="0.5",
        RENGO_SECRET_KEY="bench",
    )
    rengo = str(ROOT / ".venv" / "bin" / "rengo")
    subprocess.run([rengo, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [rengo, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(data / "serve.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        os.environ.update({k: v for k, v in env.items() if k.startswith("RENGO_")})
        load_domains()
        runtime = Runtime.from_settings(load_settings())
        rules = rule_catalog(runtime)
        wards = sorted(ward_codes())
        now = runtime.clock.now()
        with runtime.db.session() as session:
            public_id = create_exercise(
                session,
                SYSTEM,
                scenario(args.noise, args.spread),
                wards=wards,
                speed=args.speed,
                start_at=now,
                now=now,
            ).public_id
        load_before = os.getloadavg()
        runner = LiveRunner(runtime, public_id, rules, base_url=base, tick_seconds=0.1)
        runner.start(SYSTEM)
        started = time.monotonic()
        status = runner.run()
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
        report(runtime, public_id, runner, status, elapsed, load_before, load_after, args)
    finally:
        server.terminate()
        server.wait(30)


def report(
    runtime: Runtime,
    public_id: str,
    runner: LiveRunner,
    status: str,
    elapsed: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    args: argparse.Namespace,
) -> None:
    with runtime.db.session() as session:
        exercise = session.scalar(select(Exercise).where(Exercise.public_id == public_id))
        assert exercise is not None
        sent = {
            r.ward: r.sent_at
            for r in session.scalars(
                select(InjectRun).where(
                    InjectRun.exercise_id == exercise.id, InjectRun.inject_id == "mail-wave"
                )
            )
        }
        alerts = list(session.scalars(select(Alert).where(Alert.exercise_id == public_id)))
        results = list(session.scalars(select(Result).where(Result.exercise_id == exercise.id)))
    mass = {
        a.tenant: a.created_at
        for a in sorted(alerts, key=lambda a: a.created_at)
        if a.rule_title.startswith("Mass mail") and a.kind != "campaign"
    }
    latencies = [
        (mass[w] - t).total_seconds() for w, t in sent.items() if t is not None and w in mass
    ]
    campaigns = [a for a in alerts if a.kind == "campaign"]
    first_sent = min(t for t in sent.values() if t is not None)
    print(f"exercise {public_id}: {status} in {elapsed:.1f} s at ×{args.speed:g}")
    print(
        f"telemetry: {runner.stats.sent:,} records in {runner.stats.requests:,} requests, "
        f"{runner.stats.rate:,.0f} records/s while sending, {runner.stats.retries} retries"
    )
    if latencies:
        print(
            f"inject → ward alert ({len(latencies)}/{len(sent)} wards): "
            f"p50 {statistics.median(latencies):.1f} s, p95 {percentile(latencies, 0.95):.1f} s, "
            f"max {max(latencies):.1f} s"
        )
    if campaigns:
        campaign = min(campaigns, key=lambda a: a.created_at)
        print(
            f"inject → cross-ward campaign alert: "
            f"{(campaign.created_at - first_sent).total_seconds():.1f} s "
            f"({len(campaign.wards)} wards)"
        )
    met = sum(1 for r in results if r.status == "met")
    print(f"expectations met: {met}/{len(results)}")
    print(f"load average before {load_before}, after {load_after}")


if __name__ == "__main__":
    main()
