"""Difference-in-differences with unit and period fixed effects,
``y = α_unit + γ_period + δ·(treated × post)``; δ is the effect.

Errors are clustered by unit (ward). With few clusters cluster-robust errors are too
small, so below ``bootstrap_below_clusters`` the interval and p-value come from the wild
cluster bootstrap-t (Cameron, Gelbach & Miller 2008), with Webb's six-point weights when
there are too few clusters for Rademacher weights to give enough distinct draws.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import statsmodels.api as sm

from rengo.core.errors import Problem
from rengo.ebpm.estimators.base import OBSERVATIONS, Estimate, Options, Panel, refuse, register

Matrix = npt.NDArray[np.float64]
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def _dummies(labels: npt.NDArray[np.int64], count: int) -> Matrix:
    out = np.zeros((len(labels), count), dtype=float)
    out[np.arange(len(labels)), labels] = 1.0
    return out[:, 1:]  # the first level is absorbed by the constant


def _design(panel: Panel, effect: npt.NDArray[np.float64]) -> tuple[Matrix, npt.NDArray[np.int64]]:
    units, unit_index = np.unique(np.array(panel.units), return_inverse=True)
    periods, period_index = np.unique(panel.periods, return_inverse=True)
    x = np.column_stack(
        [
            effect,
            np.ones(len(effect)),
            _dummies(unit_index, len(units)),
            _dummies(period_index, len(periods)),
        ]
    )
    return x, unit_index


def _cluster_se(
    w: Matrix, residuals: Matrix, membership: Matrix, factor: float
) -> npt.NDArray[np.float64]:
    """Cluster-robust (CR1) standard error of the coefficient whose weights are ``w``,
    for each column of ``residuals`` at once."""
    scores = membership.T @ (w[:, None] * residuals)
    return np.asarray(np.sqrt(factor * (scores**2).sum(axis=0)))


def wild_cluster_bootstrap(
    y: Matrix, x: Matrix, clusters: npt.NDArray[np.int64], options: Options
) -> tuple[float, float, float, float, float, str]:
    """Estimate, CR1 standard error, bootstrap-t interval and p-value of column 0 of ``x``."""
    n, k = x.shape
    groups = int(clusters.max()) + 1
    projection = np.linalg.pinv(x)  # (k × n): β = P y
    w = projection[0]
    beta = projection @ y
    fitted = x @ beta
    residuals = y - fitted
    membership = np.zeros((n, groups))
    membership[np.arange(n), clusters] = 1.0
    factor = groups / (groups - 1) * (n - 1) / max(1, n - k)
    se = float(_cluster_se(w, residuals[:, None], membership, factor)[0])
    rng = np.random.default_rng(options.seed)
    weights_kind = "webb" if groups <= 12 else "rademacher"
    draws = (
        rng.choice(WEBB, size=(groups, options.bootstrap_replications))
        if weights_kind == "webb"
        else rng.choice([-1.0, 1.0], size=(groups, options.bootstrap_replications))
    )
    y_star = fitted[:, None] + residuals[:, None] * draws[clusters]
    beta_star = projection @ y_star
    resid_star = y_star - x @ beta_star
    se_star = _cluster_se(w, resid_star, membership, factor)
    t_star = (beta_star[0] - beta[0]) / np.where(se_star > 0, se_star, np.nan)
    t_star = t_star[np.isfinite(t_star)]
    alpha = 1 - options.confidence
    upper_q, lower_q = np.quantile(t_star, [1 - alpha / 2, alpha / 2])
    t_hat = beta[0] / se if se > 0 else np.inf
    p_value = float(np.mean(np.abs(t_star) >= abs(t_hat)))
    return (
        float(beta[0]),
        se,
        float(beta[0] - upper_q * se),
        float(beta[0] - lower_q * se),
        p_value,
        weights_kind,
    )


def _pre_trend(panel: Panel) -> tuple[float | None, float | None]:
    """Differential linear trend of treated units before the policy, and its p-value."""
    pre = ~panel.post
    if len(np.unique(panel.periods[pre])) < 3:
        return None, None
    sub = Panel(
        [u for u, keep in zip(panel.units, pre, strict=True) if keep],
        panel.periods[pre],
        panel.values[pre],
        panel.treated[pre],
        panel.intervention,
    )
    x, clusters = _design(sub, sub.treated * (sub.periods - sub.periods.min()))
    fit = sm.OLS(sub.values, x).fit(cov_type="cluster", cov_kwds={"groups": clusters})
    return float(fit.params[0]), float(fit.pvalues[0])


@register("did")
def difference_in_differences(panel: Panel, options: Options) -> Estimate:
    treated, controls = panel.treated_units(), panel.control_units()
    if not treated or not controls:
        raise refuse(
            Problem("difference-in-differences needs treated and comparison units", OBSERVATIONS)
        )
    if not panel.post.any() or panel.post.all():
        raise refuse(
            Problem(
                "difference-in-differences needs periods before and after the policy", OBSERVATIONS
            )
        )
    flags = {(u, bool(t)) for u, t in zip(panel.units, panel.treated, strict=True)}
    if len(flags) != len(set(panel.units)):
        raise refuse(
            Problem(
                "a unit is treated in some rows only: mark the unit, not the period", OBSERVATIONS
            )
        )
    effect = (panel.treated & panel.post).astype(float)
    x, clusters = _design(panel, effect)
    groups = int(clusters.max()) + 1
    alpha = 1 - options.confidence
    trend, trend_p = _pre_trend(panel)
    diagnostics: dict[str, object] = {
        "clusters": groups,
        "treated_units": len(treated),
        "control_units": len(controls),
        "observations": len(panel.values),
        "pre_trend_difference": trend,
        "pre_trend_p_value": trend_p,
    }
    if groups < options.bootstrap_below_clusters:
        beta, se, low, high, p_value, kind = wild_cluster_bootstrap(
            panel.values, x, clusters, options
        )
        diagnostics.update(
            inference=f"wild cluster bootstrap-t ({kind} weights)",
            replications=options.bootstrap_replications,
            cluster_se=se,
            p_value=p_value,
        )
    else:
        fit = sm.OLS(panel.values, x).fit(cov_type="cluster", cov_kwds={"groups": clusters})
        ci = fit.conf_int(alpha=alpha)
        beta, low, high = float(fit.params[0]), float(ci[0][0]), float(ci[0][1])
        diagnostics.update(
            inference="cluster-robust (CR1)",
            cluster_se=float(fit.bse[0]),
            p_value=float(fit.pvalues[0]),
        )
    return Estimate(
        "did",
        beta,
        low,
        high,
        [
            (
                "Parallel trends: without the policy, treated and comparison units would have moved alike (see the pre-trend difference).",
                "平行トレンド:施策がなければ介入群と対照群は同じように推移したこと(導入前の傾きの差を参照)。",
            ),
            (
                "No anticipation: the outcome did not react before the policy started.",
                "予期効果がないこと:施策開始前に成果が反応していないこと。",
            ),
            (
                "No spill-over from treated to comparison units; all treated units start together.",
                "介入群から対照群への波及がなく、介入群は同時に開始したこと。",
            ),
        ],
        diagnostics,
    )
