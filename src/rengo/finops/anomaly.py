"""Cost anomalies in daily series: spikes and level shifts ("forgotten resources").

The expected cost of a day is the median of earlier days *of the same kind* — business
days, weekends and Japanese holidays (``holidays``), and the last two business days of a
month (batch runs) — and the spread is their median absolute deviation. A day is a
spike when it exceeds the expected cost by an absolute floor (yen) *and* a relative
threshold *and* a robust z-score, after a minimum history. A level shift is a new level
held for several days (the median of the last days against the median before them);
the days of a shift are reported once as the shift, not as a run of spikes. The newest
days are not scored (late-arriving data: D−2 by default).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

BUSINESS, OFF, MONTH_END = 0, 1, 2
CLASS_WINDOW = {BUSINESS: 20, OFF: 8, MONTH_END: 6}
"""Earlier same-kind days the expectation is the median of (≈ 4 weeks, ≈ 3 months)."""
MIN_CLASS_POINTS = 3


@dataclass(frozen=True, slots=True)
class Thresholds:
    floor: float = 5_000.0
    relative: float = 0.5
    robust_z: float = 4.0
    min_history: int = 28
    shift_days: int = 7

    def margin(self, expected: np.ndarray) -> np.ndarray:
        margin: np.ndarray = np.maximum(self.floor, self.relative * np.abs(expected))
        return margin


@dataclass(frozen=True, slots=True)
class Detection:
    day: date
    kind: str
    """spike | level_shift"""
    actual: float
    expected: float

    @property
    def excess(self) -> float:
        return self.actual - self.expected


@cache
def _jp_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year))


def is_off_day(day: date) -> bool:
    return day.weekday() >= 5 or day in _jp_holidays(day.year)


def day_classes(days: list[date]) -> np.ndarray:
    """The kind of each day; month end = the last two business days of its month."""
    classes = np.array([OFF if is_off_day(d) else BUSINESS for d in days], dtype=np.int8)
    by_month: dict[tuple[int, int], list[int]] = {}
    for i, d in enumerate(days):
        if classes[i] == BUSINESS:
            by_month.setdefault((d.year, d.month), []).append(i)
    for (year, month), idx in by_month.items():
        last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        tail = [i for i in idx[-2:] if days[i].day >= last_day - 6]
        classes[tail] = MONTH_END
    return classes


def _window_medians(windows: np.ndarray, sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and median absolute deviation of each window, NaN ignored. Without NaN in
    ``sub``, row ``j`` holds ``sub[j - w : j]`` (NaN-padded before the start): plain medians,
    as ``nanmedian`` goes through masked arrays, some 20 times slower."""
    rows, w = windows.shape if windows.ndim == 2 else (0, 0)
    med, mad = np.full(rows, np.nan), np.full(rows, np.nan)
    if not rows:
        return med, mad
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if np.isnan(sub).any():
            med[:] = np.nanmedian(windows, axis=1)
            mad[:] = np.nanmedian(np.abs(windows - med[:, None]), axis=1)
            return med, mad
        for j in range(1, min(w, rows)):
            med[j] = np.median(sub[:j])
            mad[j] = np.median(np.abs(sub[:j] - med[j]))
        if w < rows:
            full = windows[w:]
            med[w:] = np.median(full, axis=1)
            mad[w:] = np.median(np.abs(full - med[w:, None]), axis=1)
    return med, mad


def expected_costs(values: np.ndarray, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust spread of earlier same-kind days for every day (NaN when too few)."""
    expected = np.full(values.shape, np.nan)
    spread = np.full(values.shape, np.nan)
    for cls, window in CLASS_WINDOW.items():
        idx = np.flatnonzero(classes == cls)
        if idx.size <= MIN_CLASS_POINTS:
            continue
        sub = values[idx]
        padded = np.concatenate([np.full(window, np.nan), sub])
        windows = sliding_window_view(padded, window)[: sub.size]  # window ending just before i
        counts = np.sum(~np.isnan(windows), axis=1)
        med, mad = _window_medians(windows, sub)
        ok = counts >= MIN_CLASS_POINTS
        expected[idx[ok]] = med[ok]
        spread[idx[ok]] = 1.4826 * mad[ok]
    return expected, spread


def _spikes(
    values: np.ndarray, expected: np.ndarray, spread: np.ndarray, t: Thresholds
) -> np.ndarray:
    margin = t.margin(np.nan_to_num(expected))
    scale = np.maximum(np.nan_to_num(spread), 0.05 * np.abs(np.nan_to_num(expected)) + 1e-9)
    excess = values - expected
    with np.errstate(invalid="ignore"):
        spikes: np.ndarray = (
            (np.arange(values.size) >= t.min_history)
            & (excess > margin)
            & (excess > t.robust_z * scale)
        )
    return spikes


def detect(
    values: np.ndarray, days: list[date], t: Thresholds, *, score_until: int | None = None
) -> list[Detection]:
    """Spikes and level shifts in one daily series (``values[i]`` is the cost of ``days[i]``)."""
    n = values.size
    if n == 0:
        return []
    last = n if score_until is None else max(0, min(n, score_until))
    classes = day_classes(days)
    expected, spread = expected_costs(values, classes)
    spike = _spikes(values, expected, spread, t)
    spike[last:] = False

    shifts: list[Detection] = []
    L, ref = t.shift_days, 28
    if n >= L + t.min_history:
        # A shift: every day of a window is well above what its kind of day costs, and the
        # window's median excess passes the full thresholds.
        exp0 = np.nan_to_num(expected, nan=np.inf)
        excess = values - exp0
        above = excess > 0.5 * t.margin(np.where(np.isinf(exp0), 0.0, exp0))
        windows_above = sliding_window_view(above, L).all(axis=1)
        med_excess = np.median(
            sliding_window_view(np.where(np.isinf(excess), 0.0, excess), L), axis=1
        )
        med_expected = np.median(sliding_window_view(np.nan_to_num(expected), L), axis=1)
        starts = np.arange(windows_above.size)
        cond = windows_above & (med_excess > t.margin(med_expected)) & (starts >= t.min_history)
        cond &= starts + L - 1 < last
        skip_until = -1
        for k in np.flatnonzero(cond):
            if k <= skip_until or (k > 0 and cond[k - 1]):
                continue
            s = int(k)
            new_level = float(np.median(values[s : s + L]))
            old_level = float(med_expected[k])
            shifts.append(Detection(days[s], "level_shift", new_level, old_level))
            # The days of the new level are the shift, not spikes: from the onset on, the
            # expectation is re-based as if the earlier days had been at the new level.
            rebased = values.copy()
            for cls in (BUSINESS, OFF, MONTH_END):
                post = values[s : s + L][classes[s : s + L] == cls]
                pre = values[max(0, s - ref) : s][classes[max(0, s - ref) : s] == cls]
                delta = (
                    float(np.median(post) - np.median(pre))
                    if post.size and pre.size
                    else new_level - old_level
                )
                earlier = np.zeros(n, dtype=bool)
                earlier[:s] = classes[:s] == cls
                rebased[earlier] += delta
            exp2, spread2 = expected_costs(rebased, classes)
            spike[s:] = _spikes(values, exp2, spread2, t)[s:]
            spike[s : s + L] = False
            spike[last:] = False
            skip_until = s + ref + L
    spikes = [
        Detection(days[i], "spike", float(values[i]), float(expected[i]))
        for i in np.flatnonzero(spike)
    ]
    return sorted([*spikes, *shifts], key=lambda d: (d.day, d.kind))
