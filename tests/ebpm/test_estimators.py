"""The estimators recover effects of known size from simulated data, and agree with
statsmodels where it computes the same thing."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from rengo.core.errors import InvalidInput
from rengo.ebpm.estimators import Panel, estimate
from rengo.ebpm.estimators.base import Options
from rengo.ebpm.estimators.its import newey_west_lags

EFFECT = 5.0


def _did_panel(units: int, treated: int, seed: int, effect: float = EFFECT) -> Panel:
    """Units with their own level and a common year shock; the treated gain ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    shocks = rng.normal(0, 1, 10)
    for u in range(units):
        level = rng.normal(50, 5)
        for year in range(2015, 2025):
            is_treated = u < treated
            value = level + 0.5 * (year - 2015) + shocks[year - 2015] + rng.normal(0, 1)
            if is_treated and year >= 2020:
                value += effect
            rows.append((f"w{u:02d}", year, value, is_treated))
    return Panel.of(rows, 2020)


def test_did_with_many_wards_recovers_the_effect_with_cluster_robust_errors() -> None:
    result = estimate("did", _did_panel(40, 20, seed=1), Options(bootstrap_below_clusters=30))
    assert result.diagnostics["inference"] == "cluster-robust (CR1)"
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < EFFECT < result.ci_high
    assert abs(result.estimate - EFFECT) < 0.5
    assert result.diagnostics["p_value"] < 0.001
    assert result.diagnostics["pre_trend_p_value"] > 0.01  # parallel by construction


def test_did_equals_the_two_way_fixed_effects_regression_of_statsmodels() -> None:
    panel = _did_panel(8, 3, seed=2)
    result = estimate("did", panel, Options(bootstrap_replications=199))
    units, u_idx = np.unique(np.array(panel.units), return_inverse=True)
    periods, p_idx = np.unique(panel.periods, return_inverse=True)
    x = np.column_stack(
        [
            (panel.treated & panel.post).astype(float),
            np.eye(len(units))[u_idx],
            np.eye(len(periods))[p_idx][:, 1:],
        ]
    )
    reference = sm.OLS(panel.values, x).fit()
    assert result.estimate == pytest.approx(reference.params[0], abs=1e-8)


def test_did_with_few_wards_uses_the_wild_cluster_bootstrap() -> None:
    result = estimate("did", _did_panel(6, 2, seed=3), Options(bootstrap_replications=999))
    assert result.diagnostics["inference"] == "wild cluster bootstrap-t (webb weights)"
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < EFFECT < result.ci_high
    # No effect: the bootstrap p-value is not small and the interval covers zero.
    null = estimate("did", _did_panel(6, 2, seed=4, effect=0.0), Options())
    assert null.ci_low is not None and null.ci_high is not None
    assert null.ci_low < 0 < null.ci_high
    assert null.diagnostics["p_value"] > 0.05


def test_did_coverage_of_the_bootstrap_interval_is_near_nominal() -> None:
    covered = 0
    runs = 60
    for seed in range(runs):
        r = estimate("did", _did_panel(8, 3, seed=100 + seed), Options(bootstrap_replications=199))
        assert r.ci_low is not None and r.ci_high is not None
        covered += r.ci_low <= EFFECT <= r.ci_high
    assert covered / runs >= 0.85


def test_its_recovers_a_level_change_with_newey_west_errors() -> None:
    rng = np.random.default_rng(5)
    rows = []
    noise = 0.0
    for month in range(60):
        noise = 0.5 * noise + rng.normal(0, 0.5)  # AR(1) errors
        value = 20 + 0.1 * month + (3.0 if month >= 36 else 0.0) + noise
        rows.append(("ward", month, value, True))
    result = estimate("its", Panel.of(rows, 36), Options())
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_low < 3.0 < result.ci_high
    assert abs(result.estimate - 3.0) < 1.0
    assert result.diagnostics["newey_west_lags"] == newey_west_lags(60) == 3
    assert abs(result.diagnostics["pre_trend"] - 0.1) < 0.05
    assert 0 < result.diagnostics["durbin_watson"] < 4


def test_before_after_interval_matches_the_welch_test() -> None:
    rows = [("w", y, v, True) for y, v in enumerate([10, 11, 9, 10, 15, 16, 14, 15])]
    result = estimate("before_after", Panel.of(rows, 4), Options())
    assert result.estimate == pytest.approx(5.0)
    assert result.ci_low is not None and result.ci_high is not None
    # Welch with equal variances and sizes: df = 6, se = sqrt(2/3 / 4 * 2)
    half = 2.446911851 * np.sqrt(2 * (2 / 3) / 4)
    assert (result.ci_low, result.ci_high) == pytest.approx((5 - half, 5 + half), rel=1e-6)


def test_synthetic_control_finds_the_weights_and_the_effect() -> None:
    rng = np.random.default_rng(6)
    years = range(2010, 2025)
    donors = {
        f"d{i}": rng.normal(50, 8) + rng.normal(0, 1.5, len(years)).cumsum() for i in range(8)
    }
    truth = 0.6 * donors["d1"] + 0.4 * donors["d4"]
    rows = [
        (name, y, float(v), False)
        for name, series in donors.items()
        for y, v in zip(years, series, strict=True)
    ]
    for y, v in zip(years, truth, strict=True):
        rows.append(("treated", y, float(v) + (4.0 if y >= 2020 else 0.0), True))
    result = estimate("synthetic_control", Panel.of(rows, 2020), Options())
    weights = result.diagnostics["weights"]
    assert weights["d1"] == pytest.approx(0.6, abs=0.02)
    assert weights["d4"] == pytest.approx(0.4, abs=0.02)
    assert result.estimate == pytest.approx(4.0, abs=0.2)
    assert result.diagnostics["pre_rmspe"] < 0.1
    assert result.diagnostics["placebo_p_value"] == pytest.approx(1 / 9)


def test_each_estimator_states_its_assumptions() -> None:
    panel = _did_panel(6, 1, seed=7)
    for method in ("before_after", "did", "its", "synthetic_control"):
        result = estimate(method, panel, Options(bootstrap_replications=99))
        assert len(result.assumptions) >= 2 and result.diagnostics


def test_unusable_data_is_refused_with_the_reason() -> None:
    only_treated = _did_panel(3, 3, seed=8)
    with pytest.raises(InvalidInput) as caught:
        estimate("did", only_treated, Options())
    assert caught.value.problems[0].location == "field observations"
    with pytest.raises(InvalidInput):
        estimate("synthetic_control", _did_panel(6, 2, seed=9), Options())
    with pytest.raises(InvalidInput):
        estimate("nope", only_treated, Options())
