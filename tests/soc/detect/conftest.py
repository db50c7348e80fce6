"""Fixtures of the detection tests: SigmaHQ's Windows rules compiled once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rengo.soc.detect.rules import RuleSet, load_rules


def windows_rule_folders(shared: Path) -> list[Path]:
    sigma = shared / "sigma"
    return [
        sigma / "rules" / "windows",
        sigma / "rules-emerging-threats",
        sigma / "rules-threat-hunting" / "windows",
    ]


@pytest.fixture(scope="session")
def sigma_windows_rules(shared_data: Path, pytestconfig: pytest.Config) -> RuleSet:
    """Every SigmaHQ Windows rule, compiled (cached across runs in pytest's cache)."""
    cache = Path(pytestconfig.cache.mkdir("rengo-soc-detect-rules"))
    return load_rules(windows_rule_folders(shared_data), cache_dir=cache)
