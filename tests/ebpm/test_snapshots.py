"""Actuals of live-metric indicators stored per fiscal quarter: taken on demand (HTTP) and
by the worker's hook, with their source and time; the KGI's improvement is computed from
that stored history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from rengo.core.clock import FakeClock
from rengo.core.runtime import Runtime
from rengo.ebpm.snapshots import period_end
from rengo.ebpm.targets import policy_outcomes
from rengo.targets.registry import TargetContext
from tests.ebpm.helpers import POLICY
from tests.helpers import WARD_A, WARD_B
from tests.notify.fixtures import with_fake_clock

Api = Callable[..., Any]
STAFF = "区,所属,職員数,基準日\n131016,総務部,4,2026-04-01\n"


@pytest.fixture
def env(env: Runtime) -> Runtime:
    return with_fake_clock(env)


def _complete(api: Api, *staff: str) -> None:
    rows = "".join(f"{s},131016,総務部,DL-BASIC,2026-05-10\n" for s in staff)
    response = api(
        "POST",
        "/api/v1/ebpm/trainings/import",
        ward=WARD_A,
        role="hr",
        files={"file": ("t.csv", ("職員番号,区,所属,研修コード,修了日\n" + rows).encode())},
    )
    assert response.status_code == 200, response.text


def _actuals(api: Api, indicator: int) -> list[tuple[str, float, str]]:
    body = api("GET", f"/api/v1/ebpm/indicators/{indicator}", ward=WARD_A, role="policy").json()
    return [(a["period_end"], a["value"], a["source"]) for a in body["actuals"]]


def test_period_ends_follow_the_fiscal_year() -> None:
    assert str(period_end(datetime(2026, 6, 30, 14, 59, tzinfo=UTC), "quarter")) == "2026-06-30"
    assert str(period_end(datetime(2026, 6, 30, 15, 0, tzinfo=UTC), "quarter")) == "2026-09-30"
    assert str(period_end(datetime(2027, 2, 1, tzinfo=UTC), "quarter")) == "2027-03-31"
    assert str(period_end(datetime(2026, 4, 1, tzinfo=UTC), "year")) == "2027-03-31"
    assert str(period_end(datetime(2027, 3, 1, tzinfo=UTC), "year")) == "2027-03-31"


def test_live_metric_actuals_are_stored_per_quarter_and_feed_the_kgi(
    api: Api,
    env: Runtime,
    clock: FakeClock,
    worker_round: Callable[[], dict[str, Any]],
) -> None:
    policy = api("POST", "/api/v1/ebpm/policies", ward=WARD_A, role="policy", json=POLICY)
    pid = policy.json()["id"]
    indicator = api(
        "POST",
        f"/api/v1/ebpm/policies/{pid}/indicators",
        ward=WARD_A,
        role="policy",
        json={
            "name": "必修研修の修了率",
            "unit": "%",
            "baseline": 50.0,
            "baseline_date": "2025-03-31",
            "source": "metric",
            "metric_target": "m3.kpi.staff_trained",
            "key_outcome": True,
        },
    )
    assert indicator.status_code == 201, indicator.text
    iid = indicator.json()["id"]
    staff = api(
        "POST",
        "/api/v1/ebpm/trainings/staff/import",
        ward=WARD_A,
        role="hr",
        files={"file": ("s.csv", STAFF.encode())},
    )
    assert staff.status_code == 200
    _complete(api, "A1", "A2")

    taken = api("POST", f"/api/v1/ebpm/policies/{pid}/snapshots", ward=WARD_A, role="policy")
    assert taken.status_code == 200, taken.text
    [snap] = taken.json()
    assert (snap["indicator_id"], snap["period_end"], snap["value"]) == (iid, "2026-06-30", 50.0)
    assert snap["source"] == "metric:m3.kpi.staff_trained"
    assert snap["recorded_at"].startswith("2026-06-01T01:00")
    # another ward cannot take (or see) ward A's draft's snapshots
    hidden = api("POST", f"/api/v1/ebpm/policies/{pid}/snapshots", ward=WARD_B, role="policy")
    assert hidden.status_code == 404

    _complete(api, "A3")
    clock.advance(hours=2)
    worker_round()  # the stored snapshot is younger than ebpm.snapshot_refresh_hours
    assert _actuals(api, iid) == [("2026-06-30", 50.0, "metric:m3.kpi.staff_trained")]
    clock.advance(days=2)
    worker_round()  # refreshed: the quarter's actual follows the metric until it ends
    assert _actuals(api, iid) == [("2026-06-30", 75.0, "metric:m3.kpi.staff_trained")]
    clock.advance(days=50)  # 2026-07-23: the next quarter
    _complete(api, "A4")
    worker_round()
    assert _actuals(api, iid) == [
        ("2026-06-30", 75.0, "metric:m3.kpi.staff_trained"),
        ("2026-09-30", 100.0, "metric:m3.kpi.staff_trained"),
    ]

    for ward_role, action in (
        ("policy", "submit"),
        ("dept_head", "approve_dept"),
        ("budget", "approve_budget"),
    ):
        moved = api(
            "POST",
            f"/api/v1/ebpm/policies/{pid}/transitions",
            ward=WARD_A,
            role=ward_role,
            json={"action": action, "comment": ""},
        )
        assert moved.status_code == 200, moved.text
    five = STAFF.replace(",4,", ",5,")
    api(
        "POST",
        "/api/v1/ebpm/trainings/staff/import",
        ward=WARD_A,
        role="hr",
        files={"file": ("s.csv", five.encode())},
    )
    live = api("GET", f"/api/v1/ebpm/indicators/{iid}/live", ward=WARD_A, role="policy").json()
    assert live["value"] == 80.0  # today's value has moved on; the KGI reads stored history
    as_of = datetime.now(UTC)
    with env.db.session() as session:
        kgi = policy_outcomes(TargetContext(session, env.settings, env.data_dir, as_of, as_of))
    # from the stored history (latest stored actual 100 against the baseline 50), not a
    # live value computed today
    assert kgi[WARD_A].value == 100.0
