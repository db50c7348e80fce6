"""Multi-literal prefilter: which rules can match which events, found in one pass.

Each rule offers a few necessary literal sets (``analysis.literal_options``). Which one
narrows best depends on the data — ``\\windows\\`` is long but in nearly every Windows
event — so the prefilter first *calibrates*: it counts, on a sample of the first batch,
in how many events each literal occurs, and then keeps per rule the option with the
lowest expected hit rate. Rules whose best option still hits most events are run on
every event of their log source instead (the literal pass would only cost time).

Matching is one pass of a multi-literal matcher over the lower-cased UTF-8 values of the
batch, column by column (each column's value buffer is contiguous, so nothing is joined
or copied first): Hyperscan (SIMD, gigabytes a second; x86-64) or pyahocorasick
elsewhere. Both report every occurrence with its end offset, which maps back to the
value and so to the row. A literal running across two adjacent values only adds a
candidate; one inside a value is never missed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import ahocorasick
import numpy as np
import orjson
import pyarrow as pa

from rengo.core.storage import write_atomically
from rengo.soc.detect.analysis import literal_cost
from rengo.soc.detect.columns import event_text, text_parts
from rengo.soc.detect.rules import CompiledRule

CALIBRATION_ROWS = 1_500
USELESS_HIT_RATE = 0.02
"""An option expected to occur more often than this per event costs more in match
callbacks (Python, per occurrence) than evaluating the rule exactly on every event of
its log source (Arrow kernels)."""


class _HyperscanMatcher:
    """Hyperscan literal database: scans gigabytes a second, calls back only on matches."""

    def __init__(self, literals: Sequence[str], cache_dir: Path | None = None) -> None:
        import hyperscan

        key = hashlib.sha256("\0".join(literals).encode()).hexdigest()[:24]
        cached = cache_dir / f"hyperscan-{key}.db" if cache_dir else None
        if cached is not None and cached.is_file():
            try:
                self.db = hyperscan.loadb(cached.read_bytes(), hyperscan.HS_MODE_BLOCK)
                self.db.scratch = hyperscan.Scratch(self.db)
                return
            except Exception:  # noqa: S110 - a stale or foreign file: compile again
                pass
        # Every byte as \xHH: literals may hold NUL (the ``wide`` modifier), which the
        # binding's pure-literal mode would cut short.
        patterns = [
            "".join(f"\\x{b:02x}" for b in lit.encode("utf-8")).encode() for lit in literals
        ]
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self.db.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[0] * len(patterns),
        )
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(cached, hyperscan.dumpb(self.db))

    def find(self, blob: bytes) -> tuple[np.ndarray, np.ndarray]:
        ends: list[int] = []
        ids: list[int] = []

        def on_match(pattern: int, start: int, end: int, flags: int, context: object) -> None:
            ids.append(pattern)
            ends.append(end - 1)

        self.db.scan(blob, match_event_handler=on_match)
        return np.array(ends, dtype=np.int64), np.array(ids, dtype=np.int64)


class _AhoCorasickMatcher:
    """pyahocorasick, where Hyperscan is not available (it needs x86-64)."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        for index, literal in enumerate(literals):
            # Latin-1 view of the UTF-8 bytes: string offsets equal byte offsets.
            self.automaton.add_word(literal.encode("utf-8").decode("latin-1"), index)
        self.automaton.make_automaton()

    def find(self, blob: bytes) -> tuple[np.ndarray, np.ndarray]:
        found = np.fromiter(
            (v for end, lit in self.automaton.iter(blob.decode("latin-1")) for v in (end, lit)),
            dtype=np.int64,
        )
        return found[0::2], found[1::2]


def _matcher(
    literals: Sequence[str], cache_dir: Path | None = None
) -> _HyperscanMatcher | _AhoCorasickMatcher | None:
    if not literals:
        return None
    try:
        return _HyperscanMatcher(literals, cache_dir)
    except ImportError:
        return _AhoCorasickMatcher(literals)


def _scan(
    matcher: _HyperscanMatcher | _AhoCorasickMatcher,
    text: pa.Array,
    n_literals: int,
    *,
    unique: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, literal) pairs where the literal occurs in the row's text (every occurrence
    unless ``unique``)."""
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[
        text.offset : text.offset + len(text) + 1
    ]
    data = text.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    ends, lits = matcher.find(data.to_pybytes()[offsets[0] : offsets[-1]])
    rows = np.searchsorted(offsets, ends + offsets[0], side="right") - 1
    if not unique:
        return rows, lits
    pairs = np.unique(rows * n_literals + lits)
    return pairs // n_literals, pairs % n_literals


class Prefilter:
    """Literal options per rule, chosen by measured hit rates; ``cache_dir`` keeps the
    measurements and the compiled matchers between runs (``<data>/files/soc/detect-cache``)."""

    def __init__(self, rules: Sequence[CompiledRule], cache_dir: Path | None = None) -> None:
        self.rules = rules
        self.cache_dir = cache_dir
        self.calibrated = False
        self.automaton: _HyperscanMatcher | _AhoCorasickMatcher | None = None
        every = sorted({lit for r in rules for o in (r.literals or ()) for lit in o})
        self._every = every
        key = hashlib.sha256("\0".join(every).encode()).hexdigest()[:24]
        self._stats_path = cache_dir / f"literal-rates-{key}.json" if cache_dir else None
        if self._stats_path is not None and self._stats_path.is_file():
            try:
                self._choose(self._stats_path.read_bytes())
                self.calibrated = True
            except (OSError, ValueError):
                pass

    def _choose(self, rates: bytes) -> None:
        """Pick each rule's option and build the matcher, or take both from the cache."""
        options = orjson.dumps([r.literals for r in self.rules])
        key = hashlib.sha256(options + b"\0" + rates).hexdigest()[:24]
        plan_path = self.cache_dir / f"literal-plan-{key}.json" if self.cache_dir else None
        if plan_path is not None and plan_path.is_file():
            try:
                always, literals, lit_rules = orjson.loads(plan_path.read_bytes())
                self._use(
                    always, {lit: rules for lit, rules in zip(literals, lit_rules, strict=True)}
                )
                return
            except (OSError, ValueError, TypeError):
                pass
        always, literal_rules = self._plan(orjson.loads(rates))
        self._use(always, literal_rules)
        if plan_path is not None:
            plan_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(
                plan_path,
                orjson.dumps(
                    [always, self.literals, [literal_rules[lit] for lit in self.literals]]
                ),
            )

    def _use(self, always: list[int], literal_rules: dict[str, list[int]]) -> None:
        self._always = np.array(always, dtype=np.int64)
        self.literals = sorted(literal_rules)
        counts = [len(literal_rules[lit]) for lit in self.literals]
        self.lit_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.lit_rules = np.array(
            [r for lit in self.literals for r in literal_rules[lit]], dtype=np.int64
        )
        self.automaton = _matcher(self.literals, self.cache_dir)

    def _plan(self, hit_rate: dict[str, float]) -> tuple[list[int], dict[str, list[int]]]:
        """Each rule's cheapest literal option, or the rule run everywhere (``always``)."""
        literal_rules: dict[str, list[int]] = {}
        always = []
        for index, rule in enumerate(self.rules):
            options = rule.literals or ()
            if not options:
                always.append(index)
                continue
            cost, best = min(
                ((self._expected(o, hit_rate), o) for o in options), key=lambda c: c[0]
            )
            if cost > USELESS_HIT_RATE:
                always.append(index)
                continue
            for literal in best:
                literal_rules.setdefault(literal, []).append(index)
        return always, literal_rules

    @staticmethod
    def _expected(option: Sequence[str], hit_rate: dict[str, float]) -> float:
        if not hit_rate:
            return literal_cost(frozenset(option))
        return sum(hit_rate.get(lit, 0.0) for lit in option) + 1e-6 * literal_cost(
            frozenset(option)
        )

    def calibrate(self, text: pa.Array) -> None:
        """Measure literal hit rates on (a sample of) ``text`` and re-choose the options."""
        self.calibrated = True
        every = self._every
        automaton = _matcher(every, self.cache_dir)
        if automaton is None or not len(text):
            self._choose(b"{}")
            return
        step = max(1, len(text) // CALIBRATION_ROWS)
        sample = text.take(pa.array(range(0, len(text), step))) if step > 1 else text
        # Every occurrence costs a step of the matching loop, so rate literals by
        # occurrences per event, not by the share of events they appear in.
        _rows, lits = _scan(automaton, sample, len(every), unique=False)
        counts = np.bincount(lits, minlength=len(every))
        total = len(sample)
        rates = {lit: float(counts[i]) / total for i, lit in enumerate(every) if counts[i]}
        measured = orjson.dumps(rates)
        if self._stats_path is not None:
            self._stats_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self._stats_path, measured)
        self._choose(measured)

    @property
    def always(self) -> np.ndarray:
        """Rules run on every event their routing admits (no useful literal option)."""
        return self._always

    def hits(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        """(row, rule) pairs whose chosen literals occur, for rules with a literal option."""
        if not self.calibrated:
            self.calibrate(event_text(table, lower=True))
        if self.automaton is None:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        found_rows, found_lits = [], []
        for values, row_of in text_parts(table):
            elements, lits = _scan(self.automaton, values, len(self.literals))
            found_rows.append(elements if row_of is None else row_of[elements])
            found_lits.append(lits)
        pairs = np.unique(
            np.concatenate(found_rows) * len(self.literals) + np.concatenate(found_lits)
        )
        rows, lits = pairs // len(self.literals), pairs % len(self.literals)
        starts = self.lit_ptr[lits]
        counts = self.lit_ptr[lits + 1] - starts
        first = np.repeat(np.cumsum(counts) - counts, counts)
        picks = np.arange(int(counts.sum())) - first + np.repeat(starts, counts)
        return np.repeat(rows, counts), self.lit_rules[picks]
