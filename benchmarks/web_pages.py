"""Page-load times of every page, as every demo role sees it (issue 17).

    PYTHONPATH=$PWD/src .venv/bin/python benchmarks/web_pages.py --runs 5
    PYTHONPATH=$PWD/src .venv/bin/python benchmarks/web_pages.py --data-dir /tmp/demo --runs 5

Fills a temporary data directory with ``rengo demo`` (or reuses ``--data-dir``), serves it
with ``rengo serve`` in a child process on 127.0.0.1 and logs in through the login form
(and the TOTP step for the joint centre and administrators) as every demo role of the
joint centre and of ``--wards``. It then loads every GET page route (every route the app
serves outside the JSON API that answers HTML), the routes with a path parameter with real
ids found in the links of the pages already loaded, ``--runs`` times each, and prints each
page's first (cold) load, p50 and p95 per role, slowest first, with the server's CPU time
per load (from /proc, so another process's load does not count) and the load average.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp

from rengo.core.demo_accounts import DEMO_PASSWORD, DEMO_TOTP_SECRET, ROLE_SHORT

SKIP = re.compile(
    r"^/(api|taxii2|static|login|logout|lang|oidc|healthz|readyz|docs|openapi)|"
    r"\.(csv|pdf|json|ttl|xml|xlsx|zip|png|svg)$|/(export|download)"
)
HREF = re.compile(r'href="(/[^"#?]*)(?:\?[^"#]*)?"')
TICKS = os.sysconf("SC_CLK_TCK")
EXTRA = ("/finops/explorer?group_by=resource&granularity=day",)
"""Pages with a query known to be heavy (issue 17), loaded besides the plain routes."""


@dataclass
class Timing:
    first: float = 0.0
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    status: int = 0


def server_cpu(pid: int) -> float:
    """User + system CPU seconds of the server process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def page_routes(data_dir: Path) -> list[str]:
    """Every GET route of the app outside the JSON API, as path templates."""
    from rengo.core.runtime import Runtime
    from rengo.core.settings import load_settings
    from rengo.web.app import create_app

    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    app = create_app(runtime)
    paths = set()
    for route in app.routes:
        # An included router answers for its routes (FastAPI ≥ 0.13x), a plain route itself.
        found = getattr(route, "effective_route_contexts", None)
        for r in found() if found else [route]:
            path, methods = getattr(r, "path", ""), getattr(r, "methods", None) or set()
            if "GET" in methods and not SKIP.search(path):
                paths.add(path)
    runtime.close()
    return sorted(paths)


def template_regex(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
    return re.compile(f"^{pattern}$")


def login(client: httpx.Client, username: str) -> bool:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    if r.status_code != 303:
        return False
    if "code" in r.headers.get("location", ""):
        form = client.get(r.headers["location"]).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
        data = {"code": code, "csrf_token": csrf.group(1) if csrf else ""}
        r = client.post(r.headers["location"], data=data)
    return r.status_code == 303 and "/login" not in r.headers.get("location", "")


def load(client: httpx.Client, url: str, pid: int) -> tuple[int, float, float, str]:
    cpu0, start = server_cpu(pid), time.perf_counter()
    r = client.get(url)
    wall = time.perf_counter() - start
    html = r.text if "text/html" in r.headers.get("content-type", "") else ""
    return r.status_code, wall, server_cpu(pid) - cpu0, html


def walk(client: httpx.Client, routes: list[str], runs: int, pid: int) -> dict[str, Timing]:
    """Plain routes first, then those with parameters, filled from links seen so far."""
    out: dict[str, Timing] = {}
    seen: set[str] = set()
    plain = [r for r in routes if "{" not in r]
    templated = [(r, template_regex(r)) for r in routes if "{" in r]
    queue = [*plain, *EXTRA]
    while queue:
        url = queue.pop(0)
        status, wall, cpu, html = load(client, url, pid)
        if status != 200 or not html:
            continue
        t = out[url] = Timing(first=wall, status=status)
        for _ in range(runs):
            _s, wall, cpu, _h = load(client, url, pid)
            t.samples.append(wall)
            t.cpu.append(cpu)
        seen.update(HREF.findall(html))
        for template, rx in list(templated):
            match = next((h for h in sorted(seen) if rx.match(h)), None)
            if match:
                templated.remove((template, rx))
                queue.append(match)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "rengo", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("the server did not start within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data directory `rengo demo` filled")
    parser.add_argument("--runs", type=int, default=5, help="loads per page after the first")
    parser.add_argument("--wards", default="chiyoda", help="ward slugs besides the joint centre")
    parser.add_argument("--roles", default="", help="role short names (default: every role)")
    parser.add_argument("--only", default="", help="only routes starting with this")
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()
    data_dir = args.data_dir
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="rengo-pages-")) / "data"
        print(f"rengo demo into {data_dir} …", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "rengo", "demo", "--data-dir", str(data_dir)], check=True
        )
    routes = [r for r in page_routes(data_dir) if r.startswith(args.only)]
    roles = [r for r in ROLE_SHORT.values() if not args.roles or r in args.roles.split(",")]
    tenants = ["joint", *[w for w in args.wards.split(",") if w]]
    start_cpu, start_wall = os.times(), time.perf_counter()
    print(f"load average at start {os.getloadavg()[0]:.2f}", file=sys.stderr)
    server = serve(data_dir, args.port)
    rows: list[tuple[str, str, Timing]] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=300) as client:
            for tenant in tenants:
                for role in roles:
                    user = f"{tenant}.{role}"
                    if not login(client, user):
                        print(f"  {user}: login failed", file=sys.stderr)
                        continue
                    found = walk(client, routes, args.runs, server.pid)
                    rows += [(user, url, t) for url, t in found.items()]
                    print(f"  {user}: {len(found)} pages", file=sys.stderr)
        server_cpu_total = server_cpu(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    rows.sort(key=lambda x: -pct(x[2].samples, 0.95))
    print(f"| user | page | first s | p50 s | p95 s | server CPU p50 s |  (runs {args.runs})")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for user, url, t in rows:
        print(
            f"| {user} | `{url}` | {t.first:.2f} | {statistics.median(t.samples):.3f} | "
            f"{pct(t.samples, 0.95):.3f} | {statistics.median(t.cpu):.3f} |"
        )
    over = [(u, p) for u, p, t in rows if pct(t.samples, 0.95) > 1.0]
    end = os.times()
    print(
        f"\n{len(rows)} (user, page) pairs, {len({p for _, p, _ in rows})} pages; "
        f"p95 over 1 s: {len(over)}; wall {time.perf_counter() - start_wall:.0f} s; "
        f"server CPU {server_cpu_total:.0f} s; benchmark CPU "
        f"{end.user + end.system - start_cpu.user - start_cpu.system:.0f} s; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
