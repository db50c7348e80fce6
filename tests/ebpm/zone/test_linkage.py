"""Splink links two department registers of the same residents as the issue demands:
precision ≥ 0.98 and recall ≥ 0.95 on 20,000 records, against the generator's truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rengo.ebpm.zone import linkage, population, registers

pytestmark = pytest.mark.slow


def test_care_and_medical_registers_link_with_high_precision_and_recall(
    shared_data: Path,
) -> None:
    towns = population.load_towns(shared_data / "addresses" / "tokyo23-towns.csv")
    people = population.residents(100_000, seed=1, towns=towns)
    assert len({p.ward_code for p in people}) == 23
    elderly = [p for p in people if p.birth_date.year < 1961]
    care = list(registers.register(elderly, 10_000, seed=2))
    medical = list(registers.register(elderly, 10_000, seed=3))
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


def test_chunked_prediction_gives_the_same_links(shared_data: Path) -> None:
    """Splink's chunked predict bounds memory on large registers without changing links."""
    towns = population.load_towns(shared_data / "addresses" / "tokyo23-towns.csv")
    people = population.residents(8_000, seed=4, towns=towns)
    left = linkage.prepare(
        (i, r) for i, (_, r) in enumerate(registers.register(people, 2_000, seed=5))
    )
    right = linkage.prepare(
        (i, r) for i, (_, r) in enumerate(registers.register(people, 2_000, seed=6))
    )
    whole = linkage.link(left, right)
    chunked = linkage.link(left, right, chunks=2)
    assert {(c.left_id, c.right_id) for c in chunked.links} == {
        (c.left_id, c.right_id) for c in whole.links
    }
    assert set(whole.phases) >= {"u_sampling", "predict", "one_to_one"}


@pytest.mark.timeout(1200)  # Spark's hundreds of stages: ~5 min on 2 loaded cores
def test_the_same_settings_run_on_spark(shared_data: Path) -> None:
    """The model's settings dictionary is Splink's own: on Spark it links as on DuckDB."""
    pytest.importorskip("pyspark", reason="pyspark is the optional extra rengo[spark]")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime (17) on PATH")
    towns = population.load_towns(shared_data / "addresses" / "tokyo23-towns.csv")
    people = population.residents(6_000, seed=7, towns=towns)
    care = list(registers.register(people, 1_500, seed=8))
    medical = list(registers.register(people, 1_500, seed=9))
    truth_left = {i: person for i, (person, _) in enumerate(care)}
    truth_right = {i: person for i, (person, _) in enumerate(medical)}
    result = linkage.link(
        linkage.prepare((i, r) for i, (_, r) in enumerate(care)),
        linkage.prepare((i, r) for i, (_, r) in enumerate(medical)),
        backend="spark",
    )
    precision, recall, true_pairs = linkage.precision_recall(result.links, truth_left, truth_right)
    assert true_pairs > 200
    assert precision >= 0.98, precision
    assert recall >= 0.95, recall
