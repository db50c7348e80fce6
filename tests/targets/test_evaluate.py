"""Targets are computed from live data, per ward and overall, with a trend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from rengo.core.runtime import Runtime
from rengo.core.wards import JOINT
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import Measurement, Status, get_target
from tests.helpers import IT_A, IT_B
from tests.targets.test_registry import _target


def test_share_of_classified_assets_per_ward_and_overall(
    env: Runtime, make_asset: Callable[..., int]
) -> None:
    for _ in range(3):
        make_asset(IT_A)
    make_asset(IT_A, confidentiality=None)
    make_asset(IT_B)
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    result = evaluator.evaluate(get_target("register.kpi.assets_classified"), env.clock.now())
    assert result.per_ward["131016"].value == 75.0
    assert result.per_ward["131024"].value == 100.0
    assert result.overall.value == 80.0
    assert result.overall.detail == {"classified": 4, "assets": 5}
    assert result.status is Status.NOT_MET
    assert result.ward_status("131024", env.settings) is Status.MET
    # Assets registered now did not exist at the previous month ends.
    assert [v for _at, v in result.trend] == [None] * 5 + [80.0]


def test_a_failing_target_shows_no_data_with_the_reason(env: Runtime) -> None:
    def broken(_ctx: object) -> dict[str, Measurement]:
        raise RuntimeError("lake unreachable")

    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    result = evaluator.evaluate(_target(id="broken", compute=broken), env.clock.now())
    assert result.status is Status.NO_DATA
    assert result.error == "RuntimeError: lake unreachable"


def test_results_are_cached_briefly(env: Runtime) -> None:
    calls: list[object] = []

    def counting(ctx: object) -> dict[str, Measurement]:
        calls.append(ctx)
        return {JOINT: Measurement(1.0)}

    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    target = _target(id="cached", compute=counting)
    now = env.clock.now()
    evaluator.evaluate(target, now, trend=False)
    evaluator.evaluate(target, now + timedelta(seconds=1), trend=False)
    assert len(calls) == 1
    evaluator.clear()
    evaluator.evaluate(target, now, trend=False)
    assert len(calls) == 2


def test_a_stale_value_is_shown_while_it_is_recomputed(env: Runtime) -> None:
    import threading
    import time

    calls: list[float] = []
    release = threading.Event()

    def slow(ctx: object) -> dict[str, Measurement]:
        calls.append(time.monotonic())
        if len(calls) > 1:
            release.wait(5)
        return {JOINT: Measurement(float(len(calls)))}

    env.settings.web.targets_cache_seconds = 0.0
    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    target = _target(id="stale", compute=slow)
    now = env.clock.now()
    assert evaluator.evaluate(target, now, trend=False).overall.value == 1.0
    started = time.monotonic()
    assert evaluator.evaluate(target, now, trend=False).overall.value == 1.0  # stale, at once
    assert time.monotonic() - started < 1.0
    release.set()
    deadline = time.monotonic() + 5
    while (evaluator.evaluate(target, now, trend=False).overall.value or 0) < 2.0:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_target_being_computed_is_waited_for_not_computed_twice(env: Runtime) -> None:
    """The warm-up at start and the first visitor ask at once: one computation (issue 17)."""
    started, release = threading.Event(), threading.Event()
    calls: list[object] = []

    def slow(ctx: object) -> dict[str, Measurement]:
        calls.append(ctx)
        started.set()
        release.wait(10)
        return {JOINT: Measurement(7.0)}

    evaluator = TargetEvaluator(env.db, env.settings, env.data_dir)
    target = _target(id="slow", compute=slow)
    now = env.clock.now()
    first: list[object] = []
    warm = threading.Thread(
        target=lambda: first.append(evaluator.evaluate(target, now, trend=False))
    )
    warm.start()
    assert started.wait(10)
    threading.Timer(0.3, release.set).start()
    second = evaluator.evaluate(target, now, trend=False)
    warm.join(10)
    assert len(calls) == 1 and second is first[0] and second.overall.value == 7.0
