"""Forecasts to the end of the month and of the fiscal year (April–March), with intervals.

Month: each remaining day costs what its kind of day (business, weekend/holiday, month
end — as in ``anomaly``) has cost recently; the interval comes from the spread of past
one-day errors, widened with the square root of the days ahead. Fiscal year: the daily
run rate of the last full months with a damped trend fitted on the last six, per
remaining month; the interval from the fit's residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

from rengo.finops.anomaly import CLASS_WINDOW, MIN_CLASS_POINTS, day_classes, expected_costs


@dataclass(frozen=True, slots=True)
class Projection:
    actual: float
    """Cost so far in the period."""
    forecast: float
    """Actual plus the forecast of the rest of the period."""
    low: float
    high: float
    period_start: date
    period_end: date


def fiscal_year_of(day: date, start_month: int = 4) -> int:
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(fy: int, start_month: int = 4) -> tuple[date, date]:
    start = date(fy, start_month, 1)
    end = date(fy + 1, start_month, 1) - timedelta(days=1)
    return start, end


def _month_end(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)


def _series(costs: dict[date, float], start: date, end: date) -> tuple[list[date], np.ndarray]:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return days, np.array([costs.get(d, 0.0) for d in days], dtype=float)


def daily_forecast(
    costs: dict[date, float], last_actual: date, horizon_end: date, z: float
) -> tuple[float, float]:
    """Expected cost of the days after ``last_actual`` up to ``horizon_end``, and its std."""
    if horizon_end <= last_actual:
        return 0.0, 0.0
    history_start = last_actual - timedelta(days=120)
    days, values = _series(costs, history_start, horizon_end)
    n_hist = (last_actual - history_start).days + 1
    values[n_hist:] = np.nan
    classes = day_classes(days)
    # Forecast day by day, feeding each expectation back as the day's value: the median of
    # the last same-kind days (as ``expected_costs`` computes it for the newest day), kept
    # per kind so that a day costs one small median, not a pass over the whole series.
    filled = values.copy()
    earlier = {c: [float(v) for v in values[:n_hist][classes[:n_hist] == c]] for c in CLASS_WINDOW}
    for i in range(n_hist, len(days)):
        kind = int(classes[i])
        recent = [v for v in earlier[kind][-CLASS_WINDOW[kind] :] if not math.isnan(v)]
        filled[i] = (
            float(np.median(recent))
            if len(recent) >= MIN_CLASS_POINTS
            else np.nanmean(filled[max(0, i - 28) : i])
        )
        earlier[kind].append(float(filled[i]))
    future = float(np.nansum(filled[n_hist:]))
    expected_hist, _ = expected_costs(values[:n_hist], classes[:n_hist])
    errors = (values[:n_hist] - expected_hist)[-90:]
    errors = errors[~np.isnan(errors)]
    sigma = float(np.std(errors)) if errors.size > 5 else 0.1 * future
    return future, sigma * math.sqrt(len(days) - n_hist)


def project_month(costs: dict[date, float], as_of: date, coverage: float = 0.8) -> Projection:
    """The month containing ``as_of``: actual up to and including ``as_of``, then forecast."""
    z = NormalDist().inv_cdf(0.5 + coverage / 2)
    start, end = as_of.replace(day=1), _month_end(as_of)
    actual = sum(v for d, v in costs.items() if start <= d <= as_of)
    future, sigma = daily_forecast(costs, as_of, end, z)
    return Projection(
        actual,
        actual + future,
        actual + max(0.0, future - z * sigma),
        actual + future + z * sigma,
        start,
        end,
    )


def project_fiscal_year(
    costs: dict[date, float], as_of: date, *, start_month: int = 4, coverage: float = 0.8
) -> Projection:
    """The fiscal year containing ``as_of``: actual so far, this month by days, later months
    by run rate."""
    z = NormalDist().inv_cdf(0.5 + coverage / 2)
    fy_start, fy_end = fiscal_year_bounds(fiscal_year_of(as_of, start_month), start_month)
    month = project_month(costs, as_of, coverage)
    actual = sum(v for d, v in costs.items() if fy_start <= d <= as_of)
    # Full months before this one: daily run rates and a damped linear trend.
    this_month = as_of.replace(day=1)
    first_full = (this_month - timedelta(days=1)).replace(day=1)
    history = []
    m = first_full
    for _ in range(6):
        end = _month_end(m)
        total = sum(v for d, v in costs.items() if m <= d <= end)
        history.append(total / ((end - m).days + 1))
        m = (m - timedelta(days=1)).replace(day=1)
    history.reverse()
    rates = np.array([r for r in history if r > 0]) if any(history) else np.array([0.0])
    level = float(np.mean(rates[-3:])) if rates.size else 0.0
    slope, resid = 0.0, 0.0
    if rates.size >= 3:
        x = np.arange(rates.size)
        slope, intercept = np.polyfit(x, rates, 1)
        resid = float(np.std(rates - (slope * x + intercept)))
        slope *= 0.5  # damped: a trend rarely runs on at full speed
    future, variance = (
        month.forecast - month.actual,
        ((month.high - month.forecast) / z) ** 2 if z else 0.0,
    )
    m, ahead = _month_end(as_of) + timedelta(days=1), 1
    while m <= fy_end:
        days = (_month_end(m) - m).days + 1
        future += max(0.0, level + slope * ahead) * days
        variance += (resid * math.sqrt(ahead) * days) ** 2 + (0.02 * level * days) ** 2
        m, ahead = _month_end(m) + timedelta(days=1), ahead + 1
    sigma = math.sqrt(variance)
    total = actual + future
    return Projection(
        actual, total, actual + max(0.0, future - z * sigma), total + z * sigma, fy_start, fy_end
    )
