"""Splink links two department registers of the same residents as the issue demands:
precision ≥ 0.98 and recall ≥ 0.95 on 20,000 records, against the generator's truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from rengo.ebpm.zone import linkage, population

pytestmark = pytest.mark.slow


def test_care_and_medical_registers_link_with_high_precision_and_recall(
    shared_data: Path,
) -> None:
    towns = population.load_towns(shared_data / "addresses" / "tokyo23-towns.csv")
    people = population.residents(100_000, seed=1, towns=towns)
    assert len({p.ward_code for p in people}) == 23
    elderly = [p for p in people if p.birth_date.year < 1961]
    care = list(population.register(elderly, 10_000, seed=2))
    medical = list(population.register(elderly, 10_000, seed=3))
    truth_left = {i: person for i, (person, _) in enumerate(care)}
    truth_right = {i: person for i, (person, _) in enumerate(medical)}

    result = linkage.link(
        linkage.prepare((i, record) for i, (_, record) in enumerate(care)),
        linkage.prepare((i, record) for i, (_, record) in enumerate(medical)),
    )
    precision, recall, true_pairs = linkage.precision_recall(result.links, truth_left, truth_right)

    assert true_pairs > 3_000  # the registers overlap as a ward's would
    assert precision >= 0.98, precision
    assert recall >= 0.95, recall
    # The estimated model is kept with the run: its comparisons are the normalised fields.
    names = {c["output_column_name"] for c in result.model["comparisons"]}
    assert {"given_name", "given_kana", "dob", "contact"} <= names
