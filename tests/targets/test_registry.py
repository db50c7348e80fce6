"""The targets registry: every target of the policy is declared; every target of a built
domain is computed live, the others say "planned"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rengo.core.settings import Settings
from rengo.domains import DOMAINS, load_domains
from rengo.targets.registry import (
    Direction,
    Kind,
    Period,
    Status,
    Target,
    fiscal_year_start,
    month_ends,
    period_start,
    targets,
)
from tests.helpers import built_domains

load_domains()

POLICY_TARGETS = {
    "m1.kgi.major_incidents",
    "m1.ksi.mean_time_to_contain",
    "m1.kpi.security_cost_per_resident",
    "m1.kpi.live_exercises",
    "m1.kpi.tabletop_exercises",
    "m1.kpi.critical_intel_shared",
    "m1.kpi.intel_objects_shared",
    "m2.kgi.operating_cost_growth",
    "m2.ksi.bpr_renewal_share",
    "m2.kpi.cloud_savings",
    "m2.kpi.finops_trainings",
    "m2.kpi.finops_training_participants",
    "m2.kpi.joint_procurements",
    "m3.kgi.policy_outcomes",
    "m3.ksi.logic_model_share",
    "m3.kpi.open_data_apps",
    "m3.kpi.open_datasets",
    "m3.kpi.staff_trained",
    "register.kpi.assets_classified",
}


def _target(**overrides: object) -> Target:
    fields: dict[str, object] = dict(
        id="t",
        measure=1,
        kind=Kind.KPI,
        name_ja="",
        name_en="",
        formula_ja="",
        formula_en="",
        source_ja="",
        source_en="",
        unit="%",
        direction=Direction.AT_LEAST,
        threshold_setting="policy.cloud_savings_pct",
        period=Period.FISCAL_YEAR,
        domain="test",
        compute=lambda ctx: {},
    )
    fields.update(overrides)
    return Target(**fields)


def test_every_target_of_the_three_measures_is_declared() -> None:
    declared = {t.id for t in targets()}
    assert declared >= POLICY_TARGETS
    kinds = {(t.measure, t.kind) for t in targets()}
    for measure in (1, 2, 3):
        assert {(measure, Kind.KGI), (measure, Kind.KSI), (measure, Kind.KPI)} <= kinds


def test_every_threshold_is_a_setting_that_exists() -> None:
    settings = Settings()
    for t in targets():
        if t.direction is not Direction.TRACK:
            assert t.threshold(settings) is not None, t.id
        assert t.name_ja and t.name_en and t.formula_ja and t.source_ja, t.id


def test_status_follows_direction_and_threshold() -> None:
    settings = Settings()
    at_least = _target()
    assert at_least.status(None, settings) is Status.NO_DATA
    assert at_least.status(15.0, settings) is Status.MET
    assert at_least.status(14.9, settings) is Status.NOT_MET
    at_most = _target(direction=Direction.AT_MOST, threshold_setting=None, threshold_value=0)
    assert at_most.status(0, settings) is Status.MET
    assert at_most.status(1, settings) is Status.NOT_MET
    tracked = _target(direction=Direction.TRACK, threshold_setting=None)
    assert tracked.status(7, settings) is Status.TRACKED
    settings.policy.cloud_savings_pct = 20
    assert at_least.status(15.0, settings) is Status.NOT_MET
    assert _target(compute=None).status(None, settings) is Status.PLANNED


def test_every_target_of_a_built_domain_is_computed() -> None:
    built = built_domains()
    # The check means something only while there are built domains declaring targets.
    assert {"assets", "csirt", "intel", "finops"} <= built
    declared_by = {t.domain for t in targets()}
    assert declared_by <= set(DOMAINS), declared_by - set(DOMAINS)
    missing = sorted(t.id for t in targets() if t.domain in built and t.compute is None)
    assert not missing, f"built domains must compute what they declare: {missing}"
    # Every planned target belongs to a domain that is not built yet.
    for t in targets():
        if t.compute is None:
            assert t.status(None, Settings()) is Status.PLANNED and t.domain not in built, t.id


@pytest.mark.parametrize(
    ("moment", "start"),
    [
        (datetime(2026, 3, 31, 14, 59, tzinfo=UTC), "2025-04-01"),  # 23:59 JST on 31 March
        (datetime(2026, 3, 31, 15, 0, tzinfo=UTC), "2026-04-01"),  # 00:00 JST on 1 April
        (datetime(2026, 11, 26, tzinfo=UTC), "2026-04-01"),
    ],
)
def test_fiscal_year_starts_on_1_april_in_japan(moment: datetime, start: str) -> None:
    assert fiscal_year_start(moment).date().isoformat() == start
    assert period_start(Period.FISCAL_YEAR, moment) == fiscal_year_start(moment)


def test_trend_points_are_month_ends_in_jst() -> None:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    points = month_ends(now, 4)
    assert points[-1] == now
    assert [p.isoformat() for p in points[:-1]] == [
        "2026-08-31T23:59:59+09:00",
        "2026-09-30T23:59:59+09:00",
        "2026-10-31T23:59:59+09:00",
    ]
