"""The data-linkage zone's two heavy jobs, measured:

1. Splink linkage of two registers of N records each drawn from a synthetic population
   (default 1,000,000 each; the issue's target: ≤ 5 minutes), precision and recall
   against the generator's truth;
2. k-anonymisation (k = 5) of 1,000,000 rows with 6 quasi-identifiers (target ≤ 60 s).

Peak memory (RSS), CPU seconds and the load average are printed for each, and the
linkage's time per phase (normalisation, λ, u sampling, each EM pass, predict, one-to-one).
Run:
    .venv/bin/python benchmarks/ebpm_zone.py --records 1000000 --rows 1000000
    .venv/bin/python benchmarks/ebpm_zone.py --records 200000 --skip-anonymise --chunks 2
    .venv/bin/python benchmarks/ebpm_zone.py --records 200000 --skip-anonymise --backend spark
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

import pyarrow as pa

from rengo.ebpm.zone import linkage, population, registers
from rengo.ebpm.zone.disclosure import ColumnKind, ColumnRule, Hierarchy, Policy, anonymise

TOWNS = Path(__file__).resolve().parents[2] / "shared" / "data" / "addresses" / "tokyo23-towns.csv"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def cpu_seconds() -> float:
    """User + system CPU of this process and its threads (DuckDB's workers included), so a
    figure taken on a loaded machine can still be read."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_linkage(records: int, seed: int, backend: linkage.Backend, chunks: int) -> None:
    towns = population.load_towns(TOWNS if TOWNS.is_file() else None)
    load_at_start = load()
    started = time.perf_counter()
    people = population.residents(int(records * 1.6), seed=seed, towns=towns)
    left = list(registers.register(people, records, seed=seed + 1))
    right = list(registers.register(people, records, seed=seed + 2))
    truth_left = {i: person for i, (person, _) in enumerate(left)}
    truth_right = {i: person for i, (person, _) in enumerate(right)}
    del people
    generated = time.perf_counter()
    cpu = cpu_seconds()
    left_table = linkage.prepare((i, r) for i, (_, r) in enumerate(left))
    right_table = linkage.prepare((i, r) for i, (_, r) in enumerate(right))
    del left, right
    normalised = time.perf_counter()
    normalise_cpu = cpu_seconds() - cpu
    cpu = cpu_seconds()
    result = linkage.link(left_table, right_table, backend=backend, chunks=chunks)
    link_cpu = cpu_seconds() - cpu
    precision, recall, true_pairs = linkage.precision_recall(result.links, truth_left, truth_right)
    total = normalised - generated + result.seconds
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.phases.items())
    print(
        f"linkage {records:,} × {records:,} ({backend}, {chunks}×{chunks} chunks): "
        f"generate {generated - started:.1f} s; normalise {normalised - generated:.1f} s "
        f"({normalise_cpu:.1f} CPU s); Splink {result.seconds:.1f} s ({link_cpu:.1f} CPU s) = "
        f"{phases}; {result.pairs_scored:,} pairs scored, {len(result.links):,} links, "
        f"{len(result.review):,} for review; precision {precision:.4f}, recall {recall:.4f} "
        f"({true_pairs:,} true pairs); normalise + link {total:.1f} s; "
        f"peak RSS {peak_mib():,.0f} MiB; load {load_at_start} → {load()}"
    )


def bench_anonymise(rows: int, seed: int) -> None:
    rng = random.Random(seed)
    towns = population.load_towns(TOWNS if TOWNS.is_file() else None)
    town_names = [f"{t.ward}{t.name}" for t in towns]
    table = pa.table(
        {
            "person_key": [f"p{i}" for i in range(rows)],
            "年齢": [min(104, int(rng.triangular(0, 105, 45))) for _ in range(rows)],
            "性別": [rng.choice("FM") for _ in range(rows)],
            "住所": [rng.choice(town_names) for _ in range(rows)],
            "生年月日": [
                f"{rng.randint(1921, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                for _ in range(rows)
            ],
            "世帯人数": [str(rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6))) for _ in range(rows)],
            "障害区分": [
                rng.choice(("なし", "なし", "なし", "身体", "知的", "精神")) for _ in range(rows)
            ],
            "要介護度": [
                rng.choice(("非該当", "要支援1", "要支援2", "要介護1", "要介護2", "要介護3"))
                for _ in range(rows)
            ],
        }
    )
    rules = {
        "person_key": ColumnRule(ColumnKind.LINK),
        "年齢": ColumnRule(ColumnKind.QUASI, Hierarchy.AGE),
        "性別": ColumnRule(ColumnKind.QUASI),
        "住所": ColumnRule(ColumnKind.QUASI, Hierarchy.ADDRESS),
        "生年月日": ColumnRule(ColumnKind.QUASI, Hierarchy.DATE),
        "世帯人数": ColumnRule(ColumnKind.QUASI),
        "障害区分": ColumnRule(ColumnKind.QUASI),
        "要介護度": ColumnRule(ColumnKind.SENSITIVE),
    }
    started = time.perf_counter()
    _released, report = anonymise(table, rules, Policy(k=5, l_diversity=2))
    seconds = time.perf_counter() - started
    print(
        f"k-anonymisation of {rows:,} rows, 6 quasi-identifiers: {seconds:.1f} s; "
        f"k = {report.k_achieved}, l = {report.l_achieved}, levels {report.generalisation}, "
        f"{report.rows_in - report.rows_out:,} rows suppressed; peak RSS {peak_mib():,.0f} MiB; "
        f"load {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records per register")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to k-anonymise")
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--skip-linkage", action="store_true")
    parser.add_argument("--skip-anonymise", action="store_true")
    parser.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument(
        "--chunks", type=int, default=1, help="predict in N × N chunks (bounds memory)"
    )
    args = parser.parse_args()
    if not args.skip_anonymise:
        bench_anonymise(args.rows, args.seed)
    if not args.skip_linkage:
        bench_linkage(args.records, args.seed, args.backend, args.chunks)


if __name__ == "__main__":
    main()
