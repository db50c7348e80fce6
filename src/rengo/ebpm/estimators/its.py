"""Interrupted time series: segmented regression of the (treated) series,
``y = b0 + b1·t + b2·post + b3·(t − t0)·post``, with Newey–West (HAC) standard errors so
that autocorrelated errors do not overstate certainty. The effect is the level change b2."""

from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.stattools import durbin_watson

from rengo.core.errors import Problem
from rengo.ebpm.estimators.base import OBSERVATIONS, Estimate, Options, Panel, refuse, register


def newey_west_lags(n: int) -> int:
    """The usual rule of thumb ⌊4 (n/100)^(2/9)⌋, at least 1."""
    return max(1, math.floor(4 * float((n / 100) ** (2 / 9))))


@register("its")
def interrupted_time_series(panel: Panel, options: Options) -> Estimate:
    mask = panel.treated if panel.treated.any() else np.ones_like(panel.treated)
    periods = np.unique(panel.periods[mask])
    series = np.array([panel.values[mask & (panel.periods == p)].mean() for p in periods])
    post = periods >= panel.intervention
    if post.sum() < 3 or (~post).sum() < 3:
        raise refuse(
            Problem(
                "an interrupted time series needs at least three periods before and after",
                OBSERVATIONS,
            )
        )
    t = periods - periods.min()
    since = np.where(post, periods - panel.intervention, 0.0)
    design = sm.add_constant(np.column_stack([t, post.astype(float), since]))
    lags = newey_west_lags(len(series))
    fit = sm.OLS(series, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    alpha = 1 - options.confidence
    ci = fit.conf_int(alpha=alpha)
    return Estimate(
        "its",
        float(fit.params[2]),
        float(ci[2][0]),
        float(ci[2][1]),
        [
            (
                "The pre-policy trend would have continued without the policy (linear).",
                "施策がなければ導入前の傾向(線形)が続いたこと。",
            ),
            (
                "Nothing else changed at the same time as the policy.",
                "施策と同時に他の変化がなかったこと。",
            ),
            (
                "Errors may be autocorrelated up to the Newey–West lag; beyond it, independent.",
                "誤差の自己相関はNewey–Westのラグまでで、それを超えると独立であること。",
            ),
        ],
        {
            "periods_before": int((~post).sum()),
            "periods_after": int(post.sum()),
            "pre_trend": float(fit.params[1]),
            "slope_change": float(fit.params[3]),
            "slope_change_ci": [float(ci[3][0]), float(ci[3][1])],
            "level_change_p_value": float(fit.pvalues[2]),
            "newey_west_lags": lags,
            "durbin_watson": float(durbin_watson(fit.resid)),
            "r_squared": float(fit.rsquared),
        },
    )
