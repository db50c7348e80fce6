"""Issue 10 item 8 and its low items: FOCUS ingest never stores infinity, NaN or absurd
amounts; a line with extra cells is quarantined once; a tag key DuckDB's JSON path
parser cannot read is a 422 naming the parameter, not a 500."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import connection
from tests.finops.test_api import _load
from tests.finops.test_ingest import _focus_file, _lake, _sums
from tests.helpers import JOINT, bearer


@pytest.mark.parametrize("value", ["1e999", "-1e999", "inf", "NaN", "2e15"])
def test_non_finite_and_out_of_range_costs_are_quarantined(tmp_path: Path, value: str) -> None:
    lake = _lake(tmp_path)
    path = _focus_file(
        tmp_path / "bad.csv", [("100", "2025-04-01", "x"), (value, "2025-04-02", "y")]
    )
    report = ingest_files(lake, [path], Enrichment([], []))
    assert report.rows == 1 and report.quarantined == 1
    quarantined = next(d for d in report.deviations if d.code == "quarantined")
    assert quarantined.first_row == 2
    assert report.lake_totals == {"JPY": 100.0}
    with connection() as con:
        (problem,) = con.execute(
            f"SELECT __problem FROM read_parquet('{lake.quarantine}/*-rows.parquet')"
        ).fetchone()
    assert f"BilledCost: not a finite number within ±1e+15: {value}" in problem
    assert set(_sums(lake, "BillingAccountId").values()) == {100}


def test_a_line_with_extra_cells_is_quarantined_once(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    path = _focus_file(
        tmp_path / "wide.csv", [("100", "2025-04-01", "x"), ("200", "2025-04-02", "y")]
    )
    lines = path.read_text().splitlines()
    lines[2] += ",extra1,extra2,extra3"
    path.write_text("\n".join(lines) + "\n")
    report = ingest_files(lake, [path], Enrichment([], []))
    assert report.rows == 1 and report.quarantined == 1
    (rejected,) = report.files[0].rejected_lines
    assert rejected.line == 3 and "Found: 15" in rejected.error


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"group_by": "tag:\\"}, "group_by"),
        ({"group_by": 'tag:a"b'}, "group_by"),
        ({"tag": "x\\=1"}, "tag"),
    ],
)
def test_a_tag_key_the_json_path_cannot_hold_is_a_422(
    env: Runtime,
    client: TestClient,
    tokens: Callable[..., str],
    tmp_path: Path,
    params: dict[str, str],
    location: str,
) -> None:
    _load(env, tmp_path)
    headers = bearer(tokens(JOINT, "admin"))
    dates = {"start": "2025-07-01", "end": "2025-09-30"}
    for path in ("/api/v1/finops/costs", "/api/v1/finops/costs.csv"):
        response = client.get(path, params={**dates, **params}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["location"] == location
    ok = client.get(
        "/api/v1/finops/costs", params={**dates, "group_by": "tag:ward"}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["points"]
