"""Count-table releases: small cells suppressed, and further cells until no hidden value
can be worked back from the published cells and totals; differentially private counts."""

from __future__ import annotations

import itertools
import random
import statistics

import numpy as np
import pyarrow as pa
import pytest

from rengo.core.errors import InvalidInput
from rengo.ebpm.zone import tables
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule, Hierarchy
from rengo.ebpm.zone.privacy import noisy_counts
from rengo.ebpm.zone.tables import TOTAL, Dimension

RULES = {
    "person_key": ColumnRule(ColumnKind.LINK),
    "住所": ColumnRule(ColumnKind.QUASI, Hierarchy.ADDRESS),
    "年齢": ColumnRule(ColumnKind.QUASI, Hierarchy.AGE),
    "要介護度": ColumnRule(ColumnKind.SENSITIVE),
}


def _view(cells: dict[tuple[str, str], int]) -> pa.Table:
    wards, levels = [], []
    for (ward, level), n in cells.items():
        wards += [f"{ward}太子堂1丁目"] * n
        levels += [level] * n
    return pa.table(
        {
            "person_key": [f"k{i}" for i in range(len(wards))],
            "住所": wards,
            "要介護度": levels,
        }
    )


def _determined(table: tables.CountTable) -> set[tuple[str, ...]]:
    """Hidden entries fixed by the published equations, found independently of the
    module: e_j lies in the row space of the hidden part of the equations."""
    hidden = sorted(table.suppressed)
    equations = []
    for axis in range(len(table.dimensions)):
        others = [c for i, c in enumerate(table.categories) if i != axis]
        for fixed in itertools.product(*others):
            keys = [(*fixed[:axis], c, *fixed[axis:]) for c in table.categories[axis]]
            equations.append([(-1 if k[axis] == TOTAL else 1) * (k in keys) for k in hidden])
    matrix = np.array(equations, dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    out = set()
    for j, key in enumerate(hidden):
        unit = np.zeros((1, len(hidden)))
        unit[0, j] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            out.add(key)
    return out


def test_a_small_cell_is_hidden_with_the_fewest_cells_that_protect_it() -> None:
    view = _view(
        {
            ("世田谷区", "要介護1"): 3,
            ("世田谷区", "要介護2"): 20,
            ("世田谷区", "要介護3"): 30,
            ("渋谷区", "要介護1"): 25,
            ("渋谷区", "要介護2"): 40,
            ("渋谷区", "要介護3"): 35,
        }
    )
    released, report = tables.release(
        view,
        RULES,
        [Dimension("住所", 2), Dimension("要介護度")],
        small_cell=10,
        max_epsilon=1.0,
    )
    rows = {(r["住所"], r["要介護度"]): r["件数"] for r in released.to_pylist()}
    assert len(rows) == 3 * 4
    hidden = {key for key, n in rows.items() if n is None}
    # The 3 is hidden, and so is a rectangle around it: row and column totals then
    # leave two unknowns in every line.
    assert hidden == {
        ("世田谷区", "要介護1"),
        ("世田谷区", "要介護2"),
        ("渋谷区", "要介護1"),
        ("渋谷区", "要介護2"),
    }
    assert rows[("世田谷区", TOTAL)] == 53 and rows[(TOTAL, TOTAL)] == 153
    listed = {
        (s["cell"]["住所"], s["cell"]["要介護度"]): s["reason"]
        for s in report["table"]["suppressed"]
    }
    assert listed[("世田谷区", "要介護1")] == "primary"
    assert sorted(listed.values()).count("secondary") == 3
    fourth, fifth = report["steps"][3], report["steps"][4]
    assert fourth["cells_changed"] == 1 and fourth["detail"] == {"small_cell": 10}
    assert fifth["cells_changed"] == 3
    # No identifier is counted: the person key is recorded as left out (第3号).
    assert report["steps"][2]["columns"] == ["person_key"]
    assert report["k_achieved"] == 28  # the smallest count published: a column total


def test_no_hidden_value_can_be_worked_back_in_a_three_way_table() -> None:
    rng = random.Random(3)
    ages = [rng.choice([34, 47, 71, 78, 83, 88, 95]) for _ in range(3_000)]
    view = pa.table(
        {
            "住所": [rng.choice(["世田谷区", "渋谷区", "中野区", "港区"]) for _ in ages],
            "年齢": ages,
            "要介護度": [
                rng.choices(["要支援1", "要介護1", "要介護3", "要介護5"], [40, 30, 20, 3])[0]
                for _ in ages
            ],
        }
    )
    table = tables.count(
        view, RULES, [Dimension("住所"), Dimension("年齢", 2), Dimension("要介護度")]
    )
    assert "90+" in table.categories[1]  # ages top-coded as in the five standards
    assert table.counts[(TOTAL, TOTAL, TOTAL)] == 3_000
    tables.suppress(table, 10)
    primary = {k for k, r in table.suppressed.items() if r == "primary"}
    assert primary == {k for k, n in table.counts.items() if 0 < n < 10}
    assert primary and len(table.suppressed) > len(primary)
    assert not _determined(table)
    for line in table.lines():
        assert sum(k in table.suppressed for k in line) != 1


def test_dimensions_are_checked() -> None:
    view = _view({("世田谷区", "要介護1"): 12})
    with pytest.raises(InvalidInput) as refused:
        tables.count(view, RULES, [Dimension("person_key")])
    assert any(p.values and p.values["column"] == "person_key" for p in refused.value.problems)
    with pytest.raises(InvalidInput):
        tables.count(view, RULES, [Dimension("住所", 3)])  # '*': not a dimension


def test_differentially_private_counts_are_unbiased_and_scaled_by_epsilon() -> None:
    true = [100] * 400
    errors: dict[float, list[int]] = {}
    for epsilon in (1.0, 0.2):
        noisy, record = noisy_counts(true, epsilon, maximum=1.0)
        errors[epsilon] = [n - 100 for n in noisy]
        assert record["mechanism"].startswith("discrete Laplace")
        assert record["epsilon"] == epsilon and record["scale"] == pytest.approx(1 / epsilon)
        assert record["epsilon_spent"] <= epsilon + 1e-9
        assert record["library"].startswith("OpenDP ")
    # Laplace(b): mean 0, mean absolute deviation ≈ b; 400 draws bound both well.
    assert abs(statistics.mean(errors[1.0])) < 0.3
    assert 0.5 < statistics.mean(abs(e) for e in errors[1.0]) < 1.5
    assert abs(statistics.mean(errors[0.2])) < 1.5
    assert 3.5 < statistics.mean(abs(e) for e in errors[0.2]) < 6.5
    assert any(e != 0 for e in errors[1.0])


def test_epsilon_is_capped_and_a_private_table_still_adds_up() -> None:
    with pytest.raises(InvalidInput):
        noisy_counts([5], 2.0, maximum=1.0)
    with pytest.raises(InvalidInput):
        noisy_counts([5], 0.0, maximum=1.0)
    view = _view({("世田谷区", "要介護1"): 40, ("渋谷区", "要介護1"): 50, ("渋谷区", "要介護2"): 3})
    released, report = tables.release(
        view,
        RULES,
        [Dimension("住所", 2), Dimension("要介護度")],
        small_cell=10,
        epsilon=0.5,
        max_epsilon=1.0,
    )
    dp = report["table"]["differential_privacy"]
    assert dp["epsilon"] == 0.5 and dp["scale"] == 2.0
    assert report["steps"][4]["detail"]["differential_privacy"] == dp
    rows = {(r["住所"], r["要介護度"]): r["件数"] for r in released.to_pylist()}
    published = {k: n for k, n in rows.items() if n is not None}
    assert all(n >= 0 for n in published.values())
    if all(k in published for k in [("世田谷区", TOTAL), ("渋谷区", TOTAL), (TOTAL, TOTAL)]):
        assert (
            published[("世田谷区", TOTAL)] + published[("渋谷区", TOTAL)]
            == published[(TOTAL, TOTAL)]
        )
