"""Probabilistic linkage of two department registers inside the zone, with Splink
(Fellegi–Sunter; u by random sampling, m by expectation maximisation) on its embedded
DuckDB backend. The same settings dictionary runs on Splink's Spark backend.

Records are normalised first (``rengo.ebpm.zone.normalise``): the model compares the
canonical name, reading, date of birth, sex, address, town and phone. Pairs at or above
``threshold`` are links; pairs in ``[review_floor, threshold)`` go to clerical review; each
record of the left register keeps at most one link (its most probable).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from rengo.ebpm.zone import normalise

# Column names the departments' extracts use, in Japanese, mapped to the model's fields.
SOURCE_COLUMNS = {
    "name": "氏名",
    "kana": "氏名カナ",
    "sex": "性別",
    "birth_date": "生年月日",
    "address": "住所",
    "phone": "電話番号",
}
SEX = {"女": "F", "男": "M", "F": "F", "M": "M", "女性": "F", "男性": "M", "2": "F", "1": "M"}
COMPARED = (
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "sex",
    "dob",
    "address",
    "town",
    "phone",
)


def _split(value: str | None) -> tuple[str | None, str | None]:
    """Family and given name: registers separate them by a space (full or half width)."""
    if value is None:
        return None, None
    parts = normalise.nfkc(value).split()
    if len(parts) < 2:
        return value, None
    return parts[0], "".join(parts[1:])


@dataclass(frozen=True, slots=True)
class Link:
    left_id: int
    right_id: int
    probability: float


@dataclass(slots=True)
class LinkageResult:
    links: list[Link]
    review: list[Link]
    model: dict[str, Any]
    seconds: float
    pairs_scored: int
    counts: dict[str, int] = field(default_factory=dict)


def prepare(records: Iterable[tuple[int, Mapping[str, str | None]]]) -> pa.Table:
    """Normalised comparison columns of ``(record_id, record)`` pairs."""
    rows: dict[str, list[Any]] = {c: [] for c in ("unique_id", *COMPARED)}
    for record_id, record in records:
        raw = {key: record.get(column) for key, column in SOURCE_COLUMNS.items()}
        day = normalise.birth_date(raw["birth_date"])
        family, given = _split(raw["name"])
        family_kana, given_kana = _split(raw["kana"])
        rows["unique_id"].append(record_id)
        rows["family_name"].append(normalise.name(family))
        rows["given_name"].append(normalise.name(given))
        rows["family_kana"].append(normalise.kana(family_kana))
        rows["given_kana"].append(normalise.kana(given_kana))
        rows["sex"].append(SEX.get((raw["sex"] or "").strip()))
        rows["dob"].append(day.isoformat() if day else None)
        rows["address"].append(normalise.address(raw["address"]))
        rows["town"].append(normalise.town(raw["address"]))
        rows["phone"].append(normalise.phone(raw["phone"]))
    return pa.table(rows)


def _contact() -> Any:
    """Address and phone as one comparison: members of a household share both, and
    counting them as independent evidence links a resident to their spouse."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="contact",
        comparison_levels=[
            cll.And(cll.NullLevel("address"), cll.NullLevel("phone")),
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("phone")),
            cll.ExactMatchLevel("address"),
            cll.ExactMatchLevel("phone"),
            cll.ExactMatchLevel("town"),
            cll.ElseLevel(),
        ],
    )


def settings_dict() -> dict[str, Any]:
    """The model: what is compared and how pairs are found (blocking)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    creator = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.LevenshteinAtThresholds("family_name", 1).configure(term_frequency_adjustments=True),
            cl.LevenshteinAtThresholds("given_name", 1).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("family_kana", 0.9),
            cl.JaroWinklerAtThresholds("given_kana", [0.92, 0.8]),
            cl.ExactMatch("sex"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            _contact(),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob"),
            block_on("family_kana", "given_kana"),
            block_on("family_name", "given_name"),
            block_on("address"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    # Splink's settings object is untyped.
    built = creator.get_settings("duckdb")
    settings: dict[str, Any] = built.as_dict()  # type: ignore[no-untyped-call]
    return settings


def link(
    left: pa.Table,
    right: pa.Table,
    *,
    threshold: float = 0.95,
    review_floor: float = 0.5,
    seed: int = 23,
) -> LinkageResult:
    """Estimate the model on the two registers and return links and the review band."""
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI()
    linker = Linker(
        [
            db_api.register(left, table_name="left_register"),
            db_api.register(right, table_name="right_register"),
        ],
        settings_dict(),
        log_level=logging.WARNING,
    )
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("family_name", "given_name", "dob"), block_on("given_kana", "dob")],
        recall=0.8,
    )
    training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
    training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    # The second pass estimates the date of birth's m; blocking on the reading alone
    # would train on namesakes (common names are shared by many residents).
    training.estimate_parameters_using_expectation_maximisation(block_on("given_kana", "town"))
    predictions = linker.inference.predict(threshold_match_probability=review_floor)
    relation = predictions.as_duckdbpyrelation()
    scored = relation.select("unique_id_l, unique_id_r, match_probability").fetchall()
    best: dict[int, Link] = {}
    taken: dict[int, Link] = {}
    for left_id, right_id, probability in sorted(scored, key=lambda r: -float(r[2])):
        candidate = Link(int(left_id), int(right_id), float(probability))
        # One-to-one: a record already linked on either side keeps its better partner.
        if candidate.left_id in best or candidate.right_id in taken:
            continue
        best[candidate.left_id] = taken[candidate.right_id] = candidate
    links = [c for c in best.values() if c.probability >= threshold]
    review = [c for c in best.values() if c.probability < threshold]
    model = linker.misc.save_model_to_json()
    return LinkageResult(
        links=sorted(links, key=lambda c: c.left_id),
        review=sorted(review, key=lambda c: c.left_id),
        model=model,
        seconds=time.perf_counter() - started,
        pairs_scored=len(scored),
        counts={"left": left.num_rows, "right": right.num_rows},
    )


def precision_recall(
    links: Iterable[Link], truth_left: Mapping[int, int], truth_right: Mapping[int, int]
) -> tuple[float, float, int]:
    """Precision and recall of ``links`` against the people behind each record id, and
    how many true pairs there were."""
    people_right = {person: record for record, person in truth_right.items()}
    true_pairs = {
        (record, people_right[person])
        for record, person in truth_left.items()
        if person in people_right
    }
    found = {(link.left_id, link.right_id) for link in links}
    hits = len(found & true_pairs)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(true_pairs) if true_pairs else 1.0
    return precision, recall, len(true_pairs)
