"""Allocation splits, anomaly precision/recall, forecast accuracy on a held-back month."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rengo.core.storage import DataDir
from rengo.finops.allocation import Pool, Rule, pool_weights, split_exact
from rengo.finops.anomaly import Thresholds, detect, is_off_day
from rengo.finops.explorer import CostQuery, Explorer
from rengo.finops.forecast import project_month
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import Lake
from rengo.finops.synthetic import generate

WARDS = ["131016", "131024", "131032"]
POPS = {"131016": 68_000, "131024": 175_000, "131032": 265_000}
RULES = [
    Rule(1, 5, "tag", "gc-network", tag_key="shared", shared_pool="gc-network"),
    Rule(2, 5, "tag", "common-platform", tag_key="shared", shared_pool="common-platform"),
    Rule(3, 10, "tag", "*", tag_key="ward", ward_from_value=True),
    Rule(4, 10, "tag", "*", tag_key="system", system_from_value=True),
]


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=23),
)
def test_exact_split_sums_to_the_total(amount: Decimal, basis: list[int]) -> None:
    pool = Pool("p", "population", tuple(f"w{i}" for i in range(len(basis))))
    weights = pool_weights(
        pool, populations={f"w{i}": b for i, b in enumerate(basis)}, direct_cost={}
    )
    assert sum(weights.values()) == Fraction(1)
    parts = split_exact(amount, weights, Decimal("0.01"))
    assert sum(parts.values()) == amount


def _small_lake(tmp_path: Path, months: int = 4) -> tuple[Lake, object]:
    tables, plan = generate(
        end=date(2025, 9, 30),
        months=months,
        ward_codes=WARDS,
        systems=["jumin_kihon_daicho", "kojin_juminzei", "koseki"],
        pops=POPS,
    )
    files = []
    for provider, month, table in tables:
        path = tmp_path / f"{provider.split()[0]}-{month}.parquet"
        pq.write_table(table, path)
        files.append(path)
    lake = Lake.of(DataDir(tmp_path / "data").ensure())
    ingest_files(lake, files, Enrichment(RULES, []))
    return lake, plan


@pytest.fixture(scope="module")
def eight_months(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, Any]:
    """Eight months of three systems in every ward, read-only: built once for the tests
    that look for the planted anomalies and forecast a held-back month."""
    return _small_lake(tmp_path_factory.mktemp("eight-months"), months=8)


def test_shared_pools_split_by_rule_and_sum_to_the_lake_total(tmp_path: Path) -> None:
    lake, _plan = _small_lake(tmp_path, months=2)
    pools = [
        Pool("gc-network", "population", tuple(WARDS)),
        Pool("common-platform", "usage", tuple(WARDS)),
    ]
    ex = Explorer(lake, pools, POPS)
    q = CostQuery(date(2025, 8, 1), date(2025, 9, 30), ["ward"], "total")
    by_ward = {r.groups[0]: r.cost for r in ex.costs(q)}
    plain = Explorer(lake, [], POPS).total(CostQuery(date(2025, 8, 1), date(2025, 9, 30)))
    assert abs(sum(by_ward.values()) - plain) < 1e-6 * plain
    assert "unallocated" in by_ward  # the untagged NAT gateway stays visible
    network = {
        r.groups[1]: r.cost
        for r in ex.costs(
            CostQuery(date(2025, 8, 1), date(2025, 9, 30), ["shared_pool", "ward"], "total")
        )
        if r.groups[0] == "gc-network"
    }
    total_network = sum(network.values())
    for ward in WARDS:
        assert abs(network[ward] / total_network - POPS[ward] / sum(POPS.values())) < 1e-9
    ward_only = ex.costs(
        CostQuery(
            date(2025, 8, 1), date(2025, 9, 30), ["ward"], "total", wards=frozenset({"131016"})
        )
    )
    assert [r.groups[0] for r in ward_only] == ["131016"]


def _labelled_series(
    rng: np.random.Generator, n: int = 365
) -> tuple[np.ndarray, list[date], set[date], date | None]:
    days = [date(2024, 4, 1) + timedelta(days=i) for i in range(n)]
    base = rng.uniform(20_000, 200_000)
    values = np.array(
        [base * (0.35 if is_off_day(d) else 1.0) * (1 + rng.normal(0, 0.05)) for d in days]
    )
    spikes = set()
    for k in rng.choice(np.arange(60, n - 5), 3, replace=False):
        values[k] += max(base * rng.uniform(1.0, 3.0), 20_000)
        spikes.add(days[k])
    shift = None
    if rng.random() < 0.35 and n > 160:
        k = int(rng.integers(120, n - 30))
        values[k:] += base * rng.uniform(0.8, 1.5)
        shift = days[k]
    return values, days, spikes, shift


def test_anomaly_precision_and_recall_on_injected_spikes_and_shifts() -> None:
    rng = np.random.default_rng(7)
    tp = fp = fn = s_tp = s_fn = s_fp = 0
    for _ in range(150):
        values, days, spikes, shift = _labelled_series(rng)
        found = detect(values, days, Thresholds())
        got = {d.day for d in found if d.kind == "spike"}
        tp, fp, fn = tp + len(got & spikes), fp + len(got - spikes), fn + len(spikes - got)
        shifts = [d.day for d in found if d.kind == "level_shift"]
        hit = [d for d in shifts if shift and abs((d - shift).days) <= 3]
        s_tp, s_fn, s_fp = (
            s_tp + bool(hit),
            s_fn + bool(shift and not hit),
            s_fp + len(shifts) - len(hit),
        )
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(
        f"spikes: precision {precision:.3f} recall {recall:.3f}; shifts: found {s_tp}, "
        f"missed {s_fn}, false {s_fp}"
    )
    assert precision >= 0.9 and recall >= 0.9
    assert s_tp / (s_tp + s_fn) >= 0.9 and s_fp <= 2


def test_latest_days_are_not_scored() -> None:
    values, days, _spikes, _shift = _labelled_series(np.random.default_rng(3), 120)
    values[-1] += 10_000_000
    assert not [
        d
        for d in detect(values, days, Thresholds(), score_until=len(days) - 2)
        if d.day == days[-1]
    ]
    assert [d for d in detect(values, days, Thresholds()) if d.day == days[-1]]


def test_the_planted_spikes_and_forgotten_resource_are_found(
    eight_months: tuple[Lake, Any],
) -> None:
    lake, plan = eight_months
    ex = Explorer(lake, [], POPS)
    from rengo.finops.scan import daily_series

    series = daily_series(ex, date(2025, 2, 1), date(2025, 9, 30))
    found = set()
    for (ward, system, _service), costs in series.items():
        first = min(costs)
        span = [first + timedelta(days=i) for i in range((date(2025, 9, 30) - first).days + 1)]
        for d in detect(np.array([costs.get(x, 0.0) for x in span]), span, Thresholds()):
            found.add((ward, system, d.day, d.kind))
    for ward, system, day in plan.spikes:
        assert (ward, system, day, "spike") in found
    for ward, system, day in plan.shifts:
        assert any(
            f[:2] == (ward, system) and f[3] == "level_shift" and abs((f[2] - day).days) <= 3
            for f in found
        )


def test_month_forecast_on_a_held_back_month(eight_months: tuple[Lake, Any]) -> None:
    lake, _plan = eight_months
    ex = Explorer(lake, [], POPS)
    rows = ex.costs(
        CostQuery(date(2025, 2, 1), date(2025, 9, 30), [], "day", filters={"ward": ["131024"]})
    )
    costs = {date.fromisoformat(r.period): r.cost for r in rows}
    actual_september = sum(v for d, v in costs.items() if d.month == 9)
    history = {d: v for d, v in costs.items() if d < date(2025, 9, 1)}
    # Forecast September from August's end: the month is entirely forecast.
    september = project_month({**history, date(2025, 9, 1): 0.0}, date(2025, 9, 1))
    error = abs(september.forecast - actual_september) / actual_september
    print(
        f"held-back month: forecast {september.forecast:,.0f}, actual {actual_september:,.0f}, "
        f"error {error:.1%}"
    )
    assert error < 0.10
    assert september.low <= september.forecast <= september.high
    assert september.period_start == date(2025, 9, 1)


def test_the_daily_rollup_answers_as_the_rows_do(tmp_path: Path) -> None:
    lake, _plan = _small_lake(tmp_path, months=2)
    pools = [Pool("gc-network", "population", tuple(WARDS)), Pool("common-platform", "usage", ())]
    queries = [
        CostQuery(date(2025, 8, 3), date(2025, 9, 28), ["ward", "service"], "day"),
        CostQuery(date(2025, 8, 1), date(2025, 9, 30), ["business_system"], "month", "billed"),
        CostQuery(
            date(2025, 8, 1), date(2025, 9, 30), ["region"], "total", filters={"ward": ["131024"]}
        ),
    ]
    from_rollup = [Explorer(lake, pools, POPS).costs(q) for q in queries]
    # Whole months come from the monthly rollup: the same as the days summed.
    daily = Explorer(lake, pools, POPS).costs(
        CostQuery(date(2025, 8, 1), date(2025, 9, 30), ["business_system"], "day", "billed")
    )
    summed: dict[tuple[str, tuple[str, ...]], float] = {}
    for r in daily:
        summed[(r.period[:7], r.groups)] = summed.get((r.period[:7], r.groups), 0.0) + r.cost
    assert {(r.period, r.groups): round(r.cost, 4) for r in from_rollup[1]} == {
        k: round(v, 4) for k, v in summed.items()
    }
    assert all(from_rollup) and len(lake.rollup_files()) == len(lake.files())
    for path, _is_rollup in lake.rollup_files():
        path.unlink()
    assert not any(is_rollup for _p, is_rollup in lake.rollup_files())
    from_rows = [Explorer(lake, pools, POPS).costs(q) for q in queries]
    for a, b in zip(from_rollup, from_rows, strict=True):
        assert [(r.period, r.groups) for r in a] == [(r.period, r.groups) for r in b]
        assert all(abs(x.cost - y.cost) < 1e-6 for x, y in zip(a, b, strict=True))
