"""Intel tests drive background work themselves: no scheduler thread in their servers."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_intel_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENGO_INTEL__FEED_SCHEDULER", "false")
