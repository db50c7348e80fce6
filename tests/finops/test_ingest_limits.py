"""Issue 10 item 8: FOCUS ingest never stores infinity, NaN or absurd amounts, and a line
with extra cells is quarantined once."""

from __future__ import annotations

from pathlib import Path

import pytest

from rengo.finops.ingest import Enrichment, ingest_files
from rengo.finops.lake import connection
from tests.finops.test_ingest import _focus_file, _lake, _sums


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
