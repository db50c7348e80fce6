"""Incremental detection inside ``rengo serve``: HTTP ingest → lake → runner → alert queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.soc.detect.follow import FollowThread, follower_lock
from rengo.soc.detect.settings import DetectSettings
from rengo.web.app import create_app
from tests.helpers import JOINT, WARD_A, bearer

SHADOW_DELETE = "C:\\Windows\\System32\\vssadmin.exe delete shadows /all /quiet"


def following(env: Runtime) -> Runtime:
    env.settings.use(
        env.settings.section(DetectSettings).model_copy(
            update={"follow_with_serve": True, "poll_seconds": 0.2, "workers": 1}
        )
    )
    return env


def process_event(host: str, command: str) -> bytes:
    return orjson.dumps(
        {
            "time": "2026-04-01T09:00:00Z",
            "class_uid": 1007,
            "device_hostname": host,
            "process_cmd_line": command,
            "process_path": "C:\\Windows\\System32\\vssadmin.exe",
        }
    )


def wait_for(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_serve_turns_ingested_events_into_alerts(env: Runtime, tokens: Any) -> None:
    ward, joint = bearer(tokens(WARD_A, "ward_it")), bearer(tokens(JOINT, "soc_analyst"))
    with TestClient(create_app(following(env)), base_url="http://127.0.0.1") as client:
        thread = client.app.state.soc_detect_follow  # type: ignore[attr-defined]
        assert isinstance(thread, FollowThread) and thread.is_alive()
        body = b"\n".join(
            [process_event("fs01", SHADOW_DELETE), process_event("pc7", "notepad.exe")]
        )
        sent = client.post("/api/v1/soc/ingest?format=json", content=body, headers=ward)
        assert sent.status_code == 200, sent.text

        def queued() -> list[dict[str, Any]]:
            items = client.get("/api/v1/soc/alerts", headers=joint).json()["items"]
            return [a for a in items if a["rule_title"].startswith("Shadow copies")]

        (alert,) = wait_for(queued)
        assert (alert["ward"], alert["host"], alert["level"]) == (WARD_A, "fs01", "critical")
        assert alert["event_count"] == 1
    assert not thread.is_alive()  # the lifespan stopped it with the app


def test_one_follower_per_data_directory(env: Runtime) -> None:
    stop = threading.Event()
    with follower_lock(env, stop) as mine:
        assert mine
        second = FollowThread(following(env))
        second.start()
        time.sleep(0.5)
        assert second.is_alive() and second.batches == 0  # waits for the lock
        second.stop()
    assert not second.is_alive()


def test_serve_without_the_setting_does_not_follow(env: Runtime) -> None:
    with TestClient(create_app(env), base_url="http://127.0.0.1") as client:
        assert client.app.state.soc_detect_follow is None  # type: ignore[attr-defined]


NEW_RULE = """title: Reload marker tool run
id: 0b6a3a5e-2f0e-4c1e-9d7a-6f1b2c3d4e5f
status: test
logsource:
    product: rengo
    category: process_creation
detection:
    selection:
        process_cmd_line|contains: 'reload-marker'
    condition: selection
level: high
"""


def test_a_rule_added_to_a_folder_runs_without_a_restart(
    env: Runtime, tokens: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    env = following(env)
    env.settings.use(
        env.settings.section(DetectSettings).model_copy(update={"rule_folders": [folder]})
    )
    ward, joint = bearer(tokens(WARD_A, "ward_it")), bearer(tokens(JOINT, "soc_analyst"))
    with TestClient(create_app(env), base_url="http://127.0.0.1") as client:
        thread = client.app.state.soc_detect_follow  # type: ignore[attr-defined]

        def send(host: str) -> None:
            body = process_event(host, "C:\\\\tools\\\\reload-marker.exe /run")
            sent = client.post("/api/v1/soc/ingest?format=json", content=body, headers=ward)
            assert sent.status_code == 200, sent.text

        def markers() -> list[dict[str, Any]]:
            items = client.get("/api/v1/soc/alerts", headers=joint).json()["items"]
            return [a for a in items if a["rule_title"] == "Reload marker tool run"]

        send("before")
        batches = thread.batches
        wait_for(lambda: thread.batches > batches + 1)  # the event was evaluated
        assert markers() == []
        (folder / "marker.yml").write_text(NEW_RULE, encoding="utf-8")
        wait_for(lambda: thread.reloads == 1)
        send("after")
        (alert,) = wait_for(markers)
        assert alert["host"] == "after"  # from the cursor on: the earlier event is not re-run
        (folder / "marker.yml").write_text("title: [broken", encoding="utf-8")
        wait_for(lambda: thread.batches > batches + 8)
        send("still")
        wait_for(lambda: len(markers()) == 2)  # a broken edit keeps the rules that ran
