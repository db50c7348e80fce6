"""The charts beside the FinOps tables (issue 17): each chart's numbers are the table's, the
KGI page and the forecasts page read one computation, the explorer lists the top groups
and sums the rest, and a partial month is marked."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.finops import scan, service
from rengo.finops.models import Alert
from tests.finops.test_api import _load
from tests.helpers import JOINT, WARD_A

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NUMBER = r"(-?[\d,]+)"


def _yen(text: str) -> int:
    return int(text.replace(",", ""))


def _svg(page: str) -> str:
    found = re.search(r"<svg class=\"chart\".*?</svg>", page, re.S)
    assert found, "no chart on the page"
    return found.group(0)


def _row(page: str, ward: str, second_cell: str) -> list[str]:
    """The numeric cells of the table row of ``ward`` whose second cell is ``second_cell``."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        text = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
        if text and text[0] == ward and (not second_cell or second_cell in text[1]):
            return text
    raise AssertionError(f"no row {ward} / {second_cell}")


def test_kgi_and_forecasts_agree_and_their_charts_hold_the_table_figures(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    csrf = login(client, WARD_A, "ward_finance")
    for system, amount in (("koseki", "900000"), ("jumin_kihon_daicho", "1200000")):
        entry = {"csrf_token": csrf, "fiscal_year": "2024", "amount": amount}
        posted = client.post("/finops/baselines", data={**entry, "business_system": system})
        assert posted.status_code == 303
    budget = {"csrf_token": csrf, "fiscal_year": "2025", "amount": "5000000"}
    assert client.post("/finops/budgets", data=budget).status_code == 303

    kgi = client.get("/finops/kgi").text
    forecasts = client.get("/finops/forecasts").text
    # The KGI page's whole-bill row is the forecasts page's fiscal year, to the yen.
    whole = _row(kgi, "千代田区", "クラウド利用料の全体")
    outlook = _row(forecasts, "千代田区", "")
    assert (whole[3], whole[4], whole[5]) == (outlook[4], outlook[5], outlook[6])
    # The ward total counts the two systems with a baseline: its baseline is their sum.
    total = _row(kgi, "千代田区", "区の合計")
    assert _yen(total[2]) == 2_100_000
    growth = total[6].replace(" %", "")
    assert f"<title>千代田区 · {growth} %</title>" in _svg(kgi)
    assert "上限 +30 %" in _svg(kgi)
    # Forecasts: the bar is the actual, the lighter bar the forecast, the tick the budget.
    chart = _svg(forecasts)
    assert f"<title>千代田区 · {outlook[4]}</title>" in chart
    assert f"<title>{outlook[5]}</title>" in chart
    assert "<title>5,000,000</title>" in chart and outlook[7] == "5,000,000"


def test_explorer_lists_the_top_groups_sums_the_rest_and_marks_a_partial_month(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    login(client, JOINT, "ward_finance")
    query = "group_by=resource&start=2025-08-01&end=2025-09-20"
    full = client.get(f"/finops/explorer?{query}&top=all").text
    top = client.get(f"/finops/explorer?{query}").text
    groups = len(re.findall(r'<tr><th scope="row">', full)) - 1  # less the total row
    assert groups > 10, "the sample needs more than ten resources"
    assert len(re.findall(r'<tr><th scope="row">', top)) - 1 == 10
    other = _row(top, f"その他 ({groups - 10}件) すべて表示", "")
    grand = re.search(r"<tfoot>.*?<strong>" + NUMBER + "</strong>", top, re.S)
    grand_all = re.search(r"<tfoot>.*?<strong>" + NUMBER + "</strong>", full, re.S)
    assert grand and grand_all and grand.group(1) == grand_all.group(1)
    shown = [
        _yen(re.sub(r"<[^>]+>", "", m))
        for m in re.findall(
            r"<td class=\"num\"><strong>(.*?)</strong></td></tr>", top.split("<tfoot>")[0]
        )
    ]
    assert sum(shown) == pytest.approx(_yen(grand.group(1)), abs=len(shown))
    assert _yen(other[-1]) > 0
    # September ends on the 20th in this range: a partial month, marked as such.
    assert re.search(r"2025-09<br><span class=\"muted\">\(月の途中まで\)", top)
    assert not re.search(r"2025-08<br>", top)


def test_the_anomaly_chart_circles_the_alert_days_with_the_table_figures(
    env: Runtime, client: TestClient, login: Callable[..., str], tmp_path: Path
) -> None:
    _load(env, tmp_path)
    with env.db.session() as session:
        ex = service.explorer(session, env.data_dir)
        series = scan.daily_series(ex, date(2025, 8, 1), date(2025, 9, 30))
        (ward, system, svc), costs = next(
            (k, v) for k, v in sorted(series.items()) if k[0] == WARD_A and k[1] and k[2]
        )
        day = max(costs)
        session.add(
            Alert(
                key=f"spike:{ward}:{system}:{svc}:{day}",
                kind="spike",
                ward=ward,
                business_system=system,
                service=svc,
                day=day,
                actual=round(costs[day], 2),
                expected=1.0,
            )
        )
    login(client, JOINT, "ward_finance")
    page = client.get("/finops/anomalies?status=all&ward=" + WARD_A).text
    circled = re.findall(r"<circle [^>]*><title>(.*?)</title></circle>", page)
    assert circled, "no anomalous day circled"
    shown = f"{costs[day]:,.0f}"
    assert any(c.endswith(f" · {day.isoformat()} · {shown}") for c in circled)
    table_row = re.search(
        rf"<tr><td>{day.isoformat()}</td><td class=\"num\">([\d,]+)</td><td>●</td></tr>", page
    )
    assert table_row and table_row.group(1) == shown
