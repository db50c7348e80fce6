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
def rule_cache(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where compiled rules are kept: pytest's cache across runs, else a session folder."""
    cache_plugin = getattr(pytestconfig, "cache", None)
    if cache_plugin is not None:
        return Path(cache_plugin.mkdir("rengo-soc-detect-rules"))
    return tmp_path_factory.mktemp("rengo-soc-detect-rules")


@pytest.fixture(scope="session")
def sigma_windows_rules(shared_data: Path, rule_cache: Path) -> RuleSet:
    """Every SigmaHQ Windows rule, compiled once."""
    cache = rule_cache
    return load_rules(windows_rule_folders(shared_data), cache_dir=cache)
