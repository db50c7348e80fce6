"""Targets declared as data (a domain's targets.toml) and registered with their compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from rengo.targets import registry
from rengo.targets.registry import (
    Compute,
    Direction,
    Kind,
    Measurement,
    Period,
    TargetContext,
    declare,
    get_target,
)

DECLARED = """
[[target]]
id = "m9.kpi.test_declared"
measure = 9
kind = "KPI"
name_ja = "試験"
name_en = "Test"
formula_ja = "件数"
formula_en = "Count"
source_ja = "記録"
source_en = "Records"
unit = "件"
direction = "at_most"
threshold_value = 0
period = "fiscal_year"
domain = "test"
compute = "counted"
evidence_path = "/test"

[[target]]
id = "m9.kpi.test_planned"
measure = 9
kind = "KGI"
name_ja = "予定"
name_en = "Planned"
formula_ja = "-"
formula_en = "-"
source_ja = "-"
source_en = "-"
unit = "%"
direction = "at_least"
threshold_setting = "policy.test_pct"
period = "snapshot"
domain = "test"
per_ward = false
"""


def counted(ctx: TargetContext) -> dict[str, Measurement]:
    return {"joint": Measurement(1.0)}


@pytest.fixture(autouse=True)
def own_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """These test targets stay out of the real registry (the docs tests list it)."""
    monkeypatch.setattr(registry, "_targets", dict(registry._targets))


def test_declared_targets_are_registered_with_their_compute(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(DECLARED, encoding="utf-8")
    declared, planned = declare(path, {"counted": counted})
    assert declared is get_target("m9.kpi.test_declared")
    assert (declared.kind, declared.direction, declared.period) == (
        Kind.KPI,
        Direction.AT_MOST,
        Period.FISCAL_YEAR,
    )
    assert declared.compute is counted and declared.threshold_value == 0.0
    assert declared.threshold_setting is None and declared.per_ward
    assert planned.compute is None and planned.threshold_setting == "policy.test_pct"
    assert not planned.per_ward and planned.threshold_value is None
    assert get_target("m9.kpi.test_planned") is planned


@pytest.mark.parametrize(
    ("computes", "says"),
    [
        ({}, "no compute function named ['counted']"),
        ({"counted": counted, "other": counted}, "compute functions no target uses: ['other']"),
    ],
)
def test_a_compute_named_wrongly_is_refused_naming_the_file(
    tmp_path: Path, computes: dict[str, Compute], says: str
) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(DECLARED.replace("test_", "wrong_"), encoding="utf-8")
    with pytest.raises(ValueError, match=f"targets.toml: {says}".replace("[", r"\[")):
        declare(path, computes)
