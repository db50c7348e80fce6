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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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
    phases: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds per phase: λ, u sampling, each EM pass, predict, one-to-one."""


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


Backend = Literal["duckdb", "spark"]
BACKEND_DIALECTS: dict[Backend, str] = {"duckdb": "duckdb", "spark": "spark"}
U_SAMPLE_PAIRS = 2e6
"""Random pairs for u: the u of a level is its share among non-matches, and two million
pairs give each level's share to a fraction of a percent whatever the registers' size."""
SCORED = "unique_id_l, unique_id_r, match_probability"
Scored = Callable[[Any], list[tuple[Any, Any, Any]]]


def _on_duckdb(left: pa.Table, right: pa.Table) -> tuple[list[Any], Scored]:
    import duckdb
    from splink import DuckDBAPI

    # Insertion order is not needed (every pair carries its ids) and costs memory.
    connection = duckdb.connect(config={"preserve_insertion_order": False})
    db_api = DuckDBAPI(connection=connection)
    inputs = [
        db_api.register(left, table_name="left_register"),
        db_api.register(right, table_name="right_register"),
    ]

    def scored(predictions: Any) -> list[tuple[Any, Any, Any]]:
        rows: list[tuple[Any, Any, Any]] = (
            predictions.as_duckdbpyrelation().select(SCORED).fetchall()
        )
        return rows

    return inputs, scored


def _on_spark(left: pa.Table, right: pa.Table) -> tuple[list[Any], Scored]:
    """Splink's Spark backend on a local session (two cores, no network): the same
    settings dictionary as on DuckDB, with Splink's own similarity functions."""
    from pyspark.sql import SparkSession
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    spark = (
        SparkSession.builder.master("local[2]")
        # Splink's own similarity functions (Jaro–Winkler …), shipped inside splink.
        .config("spark.jars", similarity_jar_location())
        .appName("rengo-zone-linkage")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )
    db_api = SparkAPI(spark_session=spark, break_lineage_method="persist")  # type: ignore[no-untyped-call]
    inputs = [
        db_api.register(spark.createDataFrame(left.to_pandas()), table_name="left_register"),
        db_api.register(spark.createDataFrame(right.to_pandas()), table_name="right_register"),
    ]

    def scored(predictions: Any) -> list[tuple[Any, Any, Any]]:
        frame = predictions.as_spark_dataframe().select(*SCORED.split(", "))
        return [(r[0], r[1], r[2]) for r in frame.collect()]

    return inputs, scored


BACKENDS: dict[Backend, Callable[[pa.Table, pa.Table], tuple[list[Any], Scored]]] = {
    "duckdb": _on_duckdb,
    "spark": _on_spark,
}


PREDICTION_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("dob", "family_kana"),
    ("dob", "given_kana"),
    ("dob", "town"),
    ("family_kana", "given_kana", "town"),
    ("address",),
    ("phone",),
)
"""Pairs are compared when they agree on one of these. Each is tight (a date of birth or
a reading alone is shared by dozens of residents of a million — 39 million pairs on the
date alone), yet together they miss a true pair only when its date of birth, its readings
and its address all differ: 3 of 124,971 at 200,000 records a side."""
TRAINING_BLOCKS: tuple[tuple[str, ...], ...] = (("dob", "family_kana"), ("given_kana", "town"))
"""Expectation maximisation in two passes: the first estimates the names, the given
reading, sex and contact; the second the family reading and the date of birth (a pass
cannot estimate what it blocks on). Blocking on the reading alone would train on
namesakes."""


def settings_dict(backend: Backend = "duckdb") -> dict[str, Any]:
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
        blocking_rules_to_generate_predictions=[block_on(*b) for b in PREDICTION_BLOCKS],
        retain_intermediate_calculation_columns=False,
    )
    # Splink's settings object is untyped.
    built = creator.get_settings(BACKEND_DIALECTS[backend])
    settings: dict[str, Any] = built.as_dict()  # type: ignore[no-untyped-call]
    return settings


class _Phases:
    """Wall-clock seconds of each phase of a linkage, in order."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now


def one_to_one(
    scored: Iterable[tuple[Any, Any, Any]], threshold: float
) -> tuple[list[Link], list[Link]]:
    """Links and the review band: the most probable pairs first, each record keeping at
    most one partner on either side."""
    best: dict[int, Link] = {}
    taken: set[int] = set()
    for left_id, right_id, probability in sorted(scored, key=lambda r: -float(r[2])):
        left, right = int(left_id), int(right_id)
        if left in best or right in taken:
            continue
        best[left] = Link(left, right, float(probability))
        taken.add(right)
    ordered = sorted(best.values(), key=lambda c: c.left_id)
    return (
        [c for c in ordered if c.probability >= threshold],
        [c for c in ordered if c.probability < threshold],
    )


def link(
    left: pa.Table,
    right: pa.Table,
    *,
    threshold: float = 0.95,
    review_floor: float = 0.5,
    seed: int = 23,
    backend: Backend = "duckdb",
    chunks: int = 1,
) -> LinkageResult:
    """Estimate the model on the two registers and return links and the review band.

    ``chunks`` splits prediction into ``chunks`` × ``chunks`` parts (Splink's
    ``num_chunks_left/right``) so that memory stays bounded on large registers;
    ``backend`` is ``duckdb`` (embedded) or ``spark`` (``pip install rengo[spark]``)."""
    from splink import Linker, block_on

    phases = _Phases()
    logging.getLogger("splink").setLevel(logging.WARNING)
    inputs, scored_pairs = BACKENDS[backend](left, right)
    linker = Linker(inputs, settings_dict(backend), log_level=logging.WARNING)
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("family_name", "given_name", "dob"), block_on("given_kana", "dob")],
        recall=0.8,
    )
    phases.done("probability_two_random_records_match")
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    phases.done("u_sampling")
    for columns in TRAINING_BLOCKS:
        training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
        phases.done(f"em_{'_'.join(columns)}")
    predictions = linker.inference.predict(
        threshold_match_probability=review_floor,
        num_chunks_left=chunks if chunks > 1 else None,
        num_chunks_right=chunks if chunks > 1 else None,
    )
    scored = scored_pairs(predictions)
    phases.done("predict")
    links, review = one_to_one(scored, threshold)
    model = linker.misc.save_model_to_json()
    phases.done("one_to_one")
    return LinkageResult(
        links=links,
        review=review,
        model=model,
        seconds=sum(phases.seconds.values()),
        pairs_scored=len(scored),
        counts={"left": left.num_rows, "right": right.num_rows},
        phases=phases.seconds,
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
