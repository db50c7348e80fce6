"""Compute the targets' current values, per ward and overall, with their trend."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from rengo.core.db import Database
from rengo.core.settings import Settings
from rengo.core.storage import DataDir
from rengo.core.types import TenantCode
from rengo.core.wards import JOINT
from rengo.targets.registry import (
    Measurement,
    Status,
    Target,
    TargetContext,
    month_ends,
    period_start,
    targets,
)

log = logging.getLogger(__name__)
TREND_POINTS = 6
PAST_POINT_SECONDS = 3600.0
"""Values at past month ends change rarely (late data only): recompute them hourly."""
STALE_SECONDS = 600.0
"""A value older than the cache time but younger than this is shown while it is recomputed
in the background, so that no visitor waits for a recomputation."""


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    threshold: float | None
    overall: Measurement
    status: Status
    per_ward: dict[TenantCode, Measurement]
    trend: list[tuple[datetime, float | None]] = field(default_factory=list)
    error: str | None = None
    """Set when computing failed; the target then shows 'no data' and the reason."""

    def ward_status(self, ward: TenantCode, settings: Settings) -> Status:
        m = self.per_ward.get(ward)
        return self.target.status(m.value if m else None, settings)


class TargetEvaluator:
    """Evaluates every registered target; results are cached for a short while.

    A cached value past ``web.targets_cache_seconds`` is still answered (for up to
    ``STALE_SECONDS``) while a background thread recomputes it.
    """

    def __init__(self, db: Database, settings: Settings, data_dir: DataDir) -> None:
        self.db, self.settings, self.data_dir = db, settings, data_dir
        self._cache: dict[tuple[str, bool], tuple[float, datetime, TargetResult]] = {}
        self._past: dict[tuple[str, str], tuple[float, float | None]] = {}
        self._refreshing: set[tuple[str, bool]] = set()
        self._running: dict[tuple[str, bool], threading.Event] = {}
        self._lock = threading.Lock()

    def _compute(self, target: Target, as_of: datetime) -> dict[TenantCode, Measurement]:
        if target.compute is None:
            return {}
        with self.db.session() as session:
            ctx = TargetContext(
                session=session,
                settings=self.settings,
                data_dir=self.data_dir,
                as_of=as_of,
                start=period_start(target.period, as_of),
            )
            return target.compute(ctx)

    def evaluate(self, target: Target, as_of: datetime, *, trend: bool = True) -> TargetResult:
        key = (target.id, trend)
        ttl = self.settings.web.targets_cache_seconds
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None:
            computed, cached_as_of, result = hit
            age = time.monotonic() - computed
            close = abs((as_of - cached_as_of).total_seconds()) <= max(ttl, 60.0) + age
            if close and age < ttl:
                return result
            if close and age < STALE_SECONDS:
                self._refresh_later(target, as_of, trend)
                return result
        return self._evaluate_now(target, as_of, trend)

    def _refresh_later(self, target: Target, as_of: datetime, trend: bool) -> None:
        key = (target.id, trend)
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._evaluate_now(target, as_of, trend)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name=f"target-{target.id}", daemon=True).start()

    def _evaluate_now(self, target: Target, as_of: datetime, trend: bool) -> TargetResult:
        """Compute now; when another thread (the warm-up at start, another visitor) is
        computing the same target, wait for its result instead of computing it twice."""
        key = (target.id, trend)
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
        if running is not None:
            running.wait()
            with self._lock:
                hit = self._cache.get(key)
            return hit[2] if hit is not None else self._compute_result(target, as_of, trend)
        try:
            return self._compute_result(target, as_of, trend)
        finally:
            with self._lock:
                self._running.pop(key).set()

    def _compute_result(self, target: Target, as_of: datetime, trend: bool) -> TargetResult:
        error = None
        try:
            values = self._compute(target, as_of)
            points: list[tuple[datetime, float | None]] = []
            if trend and target.compute is not None:
                points = [
                    (p, self._past_value(target, p)) for p in month_ends(as_of, TREND_POINTS)[:-1]
                ]
        except Exception as exc:  # a broken target must not take the dashboard down
            log.exception("computing target %s failed", target.id)
            values, points, error = {}, [], f"{type(exc).__name__}: {exc}"
        overall = values.get(JOINT, Measurement(None))
        if trend and target.compute is not None and error is None:
            points.append((as_of, overall.value))
        result = TargetResult(
            target=target,
            threshold=target.threshold(self.settings),
            overall=overall,
            status=target.status(overall.value, self.settings),
            per_ward={k: v for k, v in values.items() if k != JOINT},
            trend=points,
            error=error,
        )
        with self._lock:
            self._cache[(target.id, trend)] = (time.monotonic(), as_of, result)
        return result

    def _past_value(self, target: Target, point: datetime) -> float | None:
        key = (target.id, point.isoformat())
        with self._lock:
            hit = self._past.get(key)
        if hit and time.monotonic() - hit[0] < PAST_POINT_SECONDS:
            return hit[1]
        past = self._compute(target, point).get(JOINT)
        value = past.value if past else None
        with self._lock:
            self._past[key] = (time.monotonic(), value)
        return value

    def evaluate_all(self, as_of: datetime, *, trend: bool = True) -> list[TargetResult]:
        return [self.evaluate(t, as_of, trend=trend) for t in targets()]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._past.clear()
