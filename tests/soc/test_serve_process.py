"""``rengo serve`` as a real process (issue 10 items 3 and 10).

A gzip bomb (1.2 MB that inflates to 1 GiB) is answered 413 while the server's memory
grows by less than the body limit; after an ingest big enough to start the parse-pool
workers, SIGTERM ends the server and every process it started (workers, the
multiprocessing resource tracker).
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from tests.helpers import WARD_A, free_port

REPO = Path(__file__).resolve().parents[2]
LIMIT = 64 << 20  # soc.http_max_body_bytes, the default


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    data_dir: Path


def _rengo(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rengo", *args, "--data-dir", str(data_dir)],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return done.stdout.decode().strip().splitlines()[-1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    data_dir = tmp_path / "data"
    _rengo(data_dir, "db", "upgrade")
    token = _rengo(data_dir, "token", "create", "--ward", WARD_A, "--role", "ward_it")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rengo", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("rengo serve did not answer /healthz within 90 s")
    yield Server(process, url, token, data_dir)
    if process.poll() is None:
        process.kill()
        process.wait()


def _status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_gzip_bomb_is_413_and_does_not_grow_the_server(server: Server) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()
    assert len(bomb) < 2 << 20  # 1 GiB inflated
    headers = {"Authorization": f"Bearer {server.token}", "Content-Encoding": "gzip"}
    line = b'{"time": "2026-05-01T10:00:00Z", "message": "warm-up"}'
    warm_up = httpx.post(
        f"{server.url}/api/v1/soc/ingest", content=zlib.compress(line), headers=headers
    )
    assert warm_up.status_code == 422  # deflate data sent as gzip: refused, nothing kept
    warm_up = httpx.post(
        f"{server.url}/api/v1/soc/ingest", content=gzip.compress(line), headers=headers
    )
    assert warm_up.status_code == 200, warm_up.text
    before = _status(server.process.pid, "VmHWM")
    response = httpx.post(
        f"{server.url}/api/v1/soc/ingest",
        content=bomb,
        headers={
            "Authorization": f"Bearer {server.token}",
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
        },
        timeout=120,
    )
    assert response.status_code == 413, response.text
    assert "after decompression" in response.json()["message"]
    grown = _status(server.process.pid, "VmHWM") - before
    assert grown < LIMIT, f"peak RSS grew by {grown >> 20} MiB"
    # A plain body over the limit, without Content-Length (chunked): cut off at 413 too.
    chunks = (bytes(1 << 20) for _ in range(80))
    response = httpx.post(
        f"{server.url}/api/v1/soc/ingest",
        content=chunks,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=120,
    )
    assert response.status_code == 413


def test_sigterm_ends_the_server_and_every_process_it_started(server: Server) -> None:
    line = orjson.dumps({"time": "2026-05-01T10:00:00Z", "message": "x" * 200}) + b"\n"
    body = line * ((6 << 20) // len(line))  # over the 4 MiB that starts the parse workers
    response = httpx.post(
        f"{server.url}/api/v1/soc/ingest?format=json",
        content=body,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    deadline = time.monotonic() + 120
    lake = {}
    while time.monotonic() < deadline:
        lake = httpx.get(f"{server.url}/readyz", timeout=10).json()["soc_lake"]
        if lake["lag_bytes"] == 0:
            break
        time.sleep(0.2)
    assert lake["lag_bytes"] == 0, lake
    started = _descendants(server.process.pid)
    assert started, "the ingest started no parse workers"
    os.kill(server.process.pid, signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: -15
    assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in started):
        time.sleep(0.1)
    assert not [p for p in started if _alive(p)], "processes outlived rengo serve"
