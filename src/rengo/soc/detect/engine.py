"""The detection engine: every compiled rule over a batch of EVENT_SCHEMA events.

One query per rule does not scale to thousands of rules, so a batch goes through three
narrowing steps before any rule is evaluated exactly:

1. **routing** — the batch is grouped by (``class_uid``, ``Channel``, ``EventID``); a
   rule is considered only for groups its log-source conditions admit;
2. **prefilter** — one Aho-Corasick pass over the lower-cased text of the batch finds
   every rule literal at once; a rule is a candidate for an event only if one of its
   required literals occurs there (rules without such literals are candidates for every
   event of an admitted group);
3. **exact evaluation** — each rule's IR is evaluated, vectorised with Arrow kernels,
   on its candidate events only (``rengo.soc.detect.evaluate``).

The result is exactly what running each rule's SQL over the whole batch in DuckDB would
return (a test checks this on EVTX-ATTACK-SAMPLES). DuckDB itself is not used here:
binding a rule's SQL costs about 50 µs per predicate, seconds for a full rule set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

from rengo.soc.detect.analysis import ROUTING_FIELDS, Routing
from rengo.soc.detect.columns import Columns
from rengo.soc.detect.evaluate import Evaluator
from rengo.soc.detect.prefilter import Prefilter
from rengo.soc.detect.routing import RoutingJudge
from rengo.soc.detect.rules import CompiledRule, RuleSet
from rengo.soc.detect.segments import SegmentRanges


@dataclass(frozen=True, slots=True)
class RuleHits:
    """Rows of the batch that one rule matched."""

    rule: CompiledRule
    rows: np.ndarray


class Engine:
    """Evaluates a fixed set of detection rules over batches; reusable across batches."""

    def __init__(
        self,
        rules: RuleSet | Iterable[CompiledRule],
        *,
        disabled: dict[str, set[str]] | None = None,
        cache_dir: Path | None = None,
        segments: SegmentRanges | None = None,
    ) -> None:
        all_rules = rules.rules if isinstance(rules, RuleSet) else list(rules)
        self.rules = [r for r in all_rules if r.condition is not None]
        self.disabled = disabled or {}
        """Rule ids switched off, per ward code ("*": every ward)."""
        self.segments = segments or SegmentRanges()
        """Each ward's three-layer segments (asset register), for ``%segment_*%``."""
        self.prefilter = Prefilter(self.rules, cache_dir)
        distinct: dict[bytes, int] = {}
        trees: list[Routing] = []
        of_rule: list[int] = []
        for rule in self.rules:
            text = orjson.dumps(rule.routing)
            if text not in distinct:
                distinct[text] = len(trees)
                trees.append(rule.routing)
            of_rule.append(distinct[text])
        # Many rules share one routing tree (e.g. Sysmon process creation): judge each once.
        self._routing = RoutingJudge(trees)
        self._routing_of_rule = np.array(of_rule, dtype=np.int64)

    # -- evaluation ------------------------------------------------------------------

    def evaluate(self, table: pa.Table) -> list[RuleHits]:
        """The rows of ``table`` (EVENT_SCHEMA) each rule matches."""
        if table.num_rows == 0 or not self.rules:
            return []
        columns = Columns(table, ROUTING_FIELDS)
        group_of_row, admitted = self._route(table, columns)
        if self.disabled:
            admitted = self._drop_disabled(table, group_of_row, admitted)
        candidates = self._candidates(table, group_of_row, admitted)
        if not candidates:
            return []
        return self._exact(columns, candidates)

    def _route(self, table: pa.Table, columns: Columns) -> tuple[np.ndarray, np.ndarray]:
        codes = np.zeros(table.num_rows, dtype=np.int64)
        dictionaries = []
        for name in ROUTING_FIELDS:
            values, index = columns.encoded(name)
            dictionary = [*values.to_pylist(), None]
            codes = codes * len(dictionary) + np.where(index < 0, len(dictionary) - 1, index)
            dictionaries.append(dictionary)
        unique, group_of_row = np.unique(codes, return_inverse=True)
        keys = []
        for code in unique.tolist():
            key = []
            for dictionary in reversed(dictionaries):
                code, position = divmod(code, len(dictionary))
                key.append(dictionary[position])
            keys.append(tuple(reversed(key)))
        admitted = self._routing.admitted(keys)[:, self._routing_of_rule]
        return group_of_row.astype(np.int64), admitted

    def _candidates(
        self, table: pa.Table, group_of_row: np.ndarray, admitted: np.ndarray
    ) -> dict[int, np.ndarray]:
        """Rule index → sorted candidate rows.

        Rules without a useful literal share one row array per routing group (the same
        object), so that the evaluator can reuse the columns it took for those rows.
        """
        rows, rules = self.prefilter.hits(table)
        keep = admitted[group_of_row[rows], rules]
        pairs = np.unique(rules[keep] * table.num_rows + rows[keep])
        out: dict[int, np.ndarray] = {}
        if len(pairs):
            rule_of, row_of = pairs // table.num_rows, pairs % table.num_rows
            uniques, starts = np.unique(rule_of, return_index=True)
            for rule, part in zip(uniques.tolist(), np.split(row_of, starts[1:]), strict=True):
                out[rule] = part
        always = self.prefilter.always
        if len(always):
            patterns: dict[bytes, np.ndarray] = {}
            for rule in always.tolist():
                groups = admitted[:, rule]
                if not groups.any():
                    continue
                key = np.packbits(groups).tobytes()
                if key not in patterns:
                    patterns[key] = np.nonzero(groups[group_of_row])[0]
                out[rule] = patterns[key]
        return out

    def _drop_disabled(
        self, table: pa.Table, group_of_row: np.ndarray, admitted: np.ndarray
    ) -> np.ndarray:
        """Routing groups split by ward, with the ward's disabled rules switched off."""
        encoded = table.column("ward").combine_chunks().dictionary_encode()
        wards = encoded.dictionary.to_pylist()
        index_of = {rule.id: i for i, rule in enumerate(self.rules)}
        off = np.zeros((len(wards), len(self.rules)), dtype=bool)
        for w, ward in enumerate(wards):
            for rule_id in self.disabled.get("*", set()) | self.disabled.get(ward, set()):
                if rule_id in index_of:
                    off[w, index_of[rule_id]] = True
        ward_of_row = np.asarray(encoded.indices, dtype=np.int64)
        combined = group_of_row * len(wards) + ward_of_row
        unique, inverse = np.unique(combined, return_inverse=True)
        group_of_row[:] = inverse
        return admitted[unique // len(wards)] & ~off[unique % len(wards)]

    def _exact(self, columns: Columns, candidates: dict[int, np.ndarray]) -> list[RuleHits]:
        columns.add({f for r in candidates for f in self.rules[r].fields})
        evaluator = Evaluator(columns, self.segments)
        hits = []
        for rule_index in sorted(candidates):
            rule = self.rules[rule_index]
            rows = candidates[rule_index]
            assert rule.condition is not None
            matched = rows[evaluator.matches(rule.condition, rows)]
            if len(matched):
                hits.append(RuleHits(rule, matched))
        return hits
