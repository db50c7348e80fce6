"""Before/after: the mean of the treated units' outcome after the policy minus before,
with a Welch t interval (unequal variances)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from rengo.core.errors import Problem
from rengo.ebpm.estimators.base import OBSERVATIONS, Estimate, Options, Panel, refuse, register


@register("before_after")
def before_after(panel: Panel, options: Options) -> Estimate:
    mask = panel.treated if panel.treated.any() else np.ones_like(panel.treated)
    before = panel.values[mask & ~panel.post]
    after = panel.values[mask & panel.post]
    if len(before) < 2 or len(after) < 2:
        raise refuse(
            Problem(
                "before/after needs at least two observations before and two after", OBSERVATIONS
            )
        )
    test = stats.ttest_ind(after, before, equal_var=False)
    interval = test.confidence_interval(options.confidence)
    # A trend already under way before the policy would show up as an "effect": say so.
    pre_periods = panel.periods[mask & ~panel.post]
    trend = stats.linregress(pre_periods, before) if len(set(pre_periods.tolist())) >= 3 else None
    return Estimate(
        "before_after",
        float(after.mean() - before.mean()),
        float(interval.low),
        float(interval.high),
        [
            (
                "Nothing else that affects the outcome changed when the policy started.",
                "施策の開始時に、成果に影響する他の変化がなかったこと。",
            ),
            (
                "There was no trend before the policy (a trend would be counted as effect).",
                "施策前に傾向がなかったこと(傾向があれば効果として数えられてしまう)。",
            ),
            (
                "Observations are independent (no autocorrelation).",
                "観測が互いに独立であること(自己相関がない)。",
            ),
        ],
        {
            "n_before": len(before),
            "n_after": len(after),
            "mean_before": float(before.mean()),
            "mean_after": float(after.mean()),
            "t_statistic": float(test.statistic),
            "p_value": float(test.pvalue),
            "pre_trend_slope": float(trend.slope) if trend else None,
            "pre_trend_p_value": float(trend.pvalue) if trend else None,
        },
    )
