"""A release is processed by the five 匿名加工 standards, and its report says what each
touched; the result is k-anonymous and l-diverse, with no identifier left."""

from __future__ import annotations

import random
from collections import Counter

import pyarrow as pa
import pytest

from rengo.ebpm.zone.disclosure import (
    ColumnKind,
    ColumnRule,
    Hierarchy,
    Policy,
    anonymise,
)
from rengo.ebpm.zone.population import individual_number, residents

RULES = {
    "氏名": ColumnRule(ColumnKind.DIRECT),
    "住所": ColumnRule(ColumnKind.QUASI, Hierarchy.ADDRESS),
    "個人番号": ColumnRule(ColumnKind.CODE),
    "person_key": ColumnRule(ColumnKind.LINK),
    "年齢": ColumnRule(ColumnKind.QUASI, Hierarchy.AGE),
    "性別": ColumnRule(ColumnKind.QUASI),
    "要介護度": ColumnRule(ColumnKind.SENSITIVE),
    "備考": ColumnRule(ColumnKind.OTHER),
}


def _table(size: int) -> pa.Table:
    rng = random.Random(5)
    people = residents(size, seed=7)
    levels = ["要支援1", "要支援2", "要介護1", "要介護2", "要介護3", "要介護4", "要介護5"]
    notes = ["", "特記なし", f"番号 {individual_number(rng)} を確認"]
    return pa.table(
        {
            "氏名": [f"{p.family_name} {p.given_name}" for p in people],
            "住所": [p.address.replace("番", "-").replace("号", "") for p in people],
            "個人番号": [p.individual_number for p in people],
            "person_key": [f"k{p.person_id}" for p in people],
            "年齢": [
                2026 - p.birth_date.year + (103 if i == 0 else 0) for i, p in enumerate(people)
            ],
            "性別": [p.sex for p in people],
            "要介護度": [rng.choice(levels) for _ in people],
            "備考": [rng.choice(notes) for _ in people],
        }
    )


def test_five_standards_each_record_what_they_touched() -> None:
    table = _table(5_000)
    released, report = anonymise(table, RULES, Policy(k=5, l_diversity=2))

    assert [s.standard for s in report.steps] == [1, 2, 3, 4, 5]
    first, second, third, fourth, fifth = report.steps
    assert first.columns == ["氏名"] and first.cells_changed == 5_000
    assert "個人番号" in second.columns and "備考" in second.columns
    assert second.cells_changed > 5_000  # the code column and the numbers in free text
    assert third.columns == ["person_key"]
    assert fourth.detail["年齢"]["cells"] >= 1  # the 103-year-old is top-coded
    assert set(fifth.columns) == {"住所", "年齢", "性別"}

    assert set(released.column_names) == {"住所", "年齢", "性別", "要介護度", "備考"}
    assert report.k_achieved is not None and report.k_achieved >= 5
    assert report.l_achieved is not None and report.l_achieved >= 2
    assert report.max_risk <= 1 / 5
    assert report.rows_out == released.num_rows == 5_000 - fifth.rows_suppressed
    assert fifth.rows_suppressed <= 0.02 * 5_000 + report.steps[-1].detail["l_suppressed"]
    ages = set(released.column("年齢").to_pylist())
    assert "103" not in ages and "90+" in ages
    assert all(a in ("*", "90+") or "-" in a or int(a) < 90 for a in ages)
    # k-anonymity checked on the data itself, not only as the report states it.
    classes = Counter(
        zip(*(released.column(n).to_pylist() for n in ("住所", "年齢", "性別")), strict=True)
    )
    assert min(classes.values()) >= 5
    text = " ".join(str(v) for v in released.column("備考").to_pylist())
    assert "を確認" not in text  # the cell holding a 個人番号 was blanked


def test_every_column_needs_a_classification() -> None:
    with pytest.raises(ValueError, match="備考"):
        anonymise(_table(10), {k: v for k, v in RULES.items() if k != "備考"})
