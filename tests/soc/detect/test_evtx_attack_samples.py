"""EVTX-ATTACK-SAMPLES with every SigmaHQ Windows rule: what matches, and engine == SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from rengo.soc.detect.evtx_input import evtx_files, evtx_table
from rengo.soc.detect.rules import RuleSet
from tests.soc.detect.helpers import engine_matches, sql_matches

ZIRCOLITE_RULES, ZIRCOLITE_EVENTS = 330, 1186
"""Zircolite's published result with the same rules (see docs/soc-detection.md)."""


@pytest.fixture(scope="module")
def samples(shared_data: Path):  # type: ignore[no-untyped-def]
    return evtx_table(evtx_files(shared_data / "evtx" / "EVTX-ATTACK-SAMPLES"))


def test_rules_and_events_matched(sigma_windows_rules: RuleSet, samples) -> None:  # type: ignore[no-untyped-def]
    assert samples.num_rows == 8255
    matched = engine_matches(sigma_windows_rules, samples)
    events = {e for ids in matched.values() for e in ids}
    print(
        f"\nEVTX-ATTACK-SAMPLES: {len(matched)} rules matched {len(events)} events "
        f"({len(sigma_windows_rules.rules)} rules loaded, {len(sigma_windows_rules.unsupported)} "
        "not convertible)"
    )
    assert len(matched) >= ZIRCOLITE_RULES
    # Well-known techniques in the samples are found.
    for title in (
        "Active Directory Replication from Non Machine Account - DcSync Indicator",
        "PsExec Service Execution",
    ):
        assert title in matched, title


def test_engine_agrees_with_duckdb_sql(sigma_windows_rules: RuleSet, samples) -> None:  # type: ignore[no-untyped-def]
    """The prefiltered vectorised engine returns exactly what each rule's SQL returns."""
    engine = engine_matches(sigma_windows_rules, samples)
    sql = sql_matches(sigma_windows_rules.rules, samples)
    differing = [
        t for t in set(engine) | set(sql) if sorted(engine.get(t, [])) != sorted(sql.get(t, []))
    ]
    assert differing == []
    assert len(sql) >= ZIRCOLITE_RULES


def test_every_unconvertible_rule_has_a_reason(sigma_windows_rules: RuleSet) -> None:
    assert sigma_windows_rules.problems == []
    for problem in sigma_windows_rules.unsupported:
        assert problem.message and problem.path.endswith(".yml")


def test_two_processes_find_what_one_finds(sigma_windows_rules: RuleSet, samples) -> None:  # type: ignore[no-untyped-def]
    from rengo.soc.detect.engine import Engine
    from rengo.soc.detect.parallel import ParallelEngine

    single = {
        h.rule.id: h.rows.tolist() for h in Engine(sigma_windows_rules.detections).evaluate(samples)
    }
    parallel = ParallelEngine(sigma_windows_rules.detections, workers=2, min_rows=0)
    try:
        split = {h.rule.id: sorted(h.rows.tolist()) for h in parallel.evaluate(samples)}
    finally:
        parallel.close()
    assert split == single
