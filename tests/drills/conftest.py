"""Fixtures of the exercise tests: a real server that detects as it ingests, and a short
live scenario whose expected detections fire within seconds at speed ×1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rengo.core.runtime import Runtime
from rengo.drills.catalog import rule_catalog
from rengo.drills.loader import RuleCatalog, parse, require
from rengo.drills.scenario import Scenario
from rengo.soc.detect.settings import DetectSettings
from tests.conftest import LiveServer

SHORT_LIVE = """\
schema_version: 1
id: short-live
version: 1
kind: live
title: {ja: 短い実動演習, en: A short live exercise}
story: {ja: バックアップ削除とパスワードスプレー, en: Backups deleted and a password spray}
wards: {count: 1, codes: ["131016"]}
injects:
  - id: backups
    at_minutes: 0
    telemetry: {template: shadow_copy_delete, count: 2, noise: 20, spread_seconds: 3}
  - id: spray
    after: backups
    at_minutes: 0.05
    telemetry: {template: vpn_password_spray, count: 30, noise: 10, spread_seconds: 4}
expectations:
  - id: backups-detected
    kind: detection
    rule: Shadow copies or backups deleted on a server
    within_minutes: 1.5
    title: {ja: バックアップ削除の検知, en: Backup deletion detected}
  - id: spray-detected
    kind: detection
    rule: SSL-VPN password spraying
    within_minutes: 1.5
    title: {ja: スプレーの検知, en: Spray detected}
  - id: incident-opened
    kind: incident
    within_minutes: 1
    title: {ja: 起票, en: Incident opened}
  - id: contained
    kind: containment
    within_minutes: 0.4
    owner: ward
    title: {ja: 封じ込め, en: Contained}
"""


DETECT_ONLY = SHORT_LIVE[: SHORT_LIVE.index("  - id: incident-opened")]
"""The same exercise expecting only the two detections: it ends once they fire, where
SHORT_LIVE waits out its response expectations (a minute) when nobody responds."""


def following(env: Runtime) -> Runtime:
    env.settings.use(
        env.settings.section(DetectSettings).model_copy(
            update={"follow_with_serve": True, "poll_seconds": 0.2, "workers": 1}
        )
    )
    return env


@pytest.fixture
def detecting_server(env: Runtime) -> Iterator[LiveServer]:
    """The app on a real port, detecting what it ingests (as ``rengo serve`` would)."""
    from rengo.web.app import create_app

    with LiveServer(create_app(following(env))) as server:
        yield server


@pytest.fixture
def rules(env: Runtime) -> RuleCatalog:
    return rule_catalog(env)


@pytest.fixture
def short_live(rules: RuleCatalog) -> Scenario:
    return require(parse(SHORT_LIVE, "short-live.yaml", rules))


@pytest.fixture
def detect_only(rules: RuleCatalog) -> Scenario:
    return require(parse(DETECT_ONLY, "detect-only.yaml", rules))


def wait_for(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture(autouse=True)
def _stop_lake_writers() -> Iterator[None]:
    yield
    from rengo.soc.service import close_stores

    close_stores()


def library_file(name: str) -> Path:
    from rengo.drills.loader import library_dir

    return library_dir() / name
