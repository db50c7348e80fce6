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

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from rengo.soc.detect.analysis import ROUTING_FIELDS, compile_routing
from rengo.soc.detect.columns import Columns, event_text
from rengo.soc.detect.evaluate import Evaluator
from rengo.soc.detect.prefilter import Prefilter
from rengo.soc.detect.rules import CompiledRule, RuleSet


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
    ) -> None:
        all_rules = rules.rules if isinstance(rules, RuleSet) else list(rules)
        self.rules = [r for r in all_rules if r.condition is not None]
        self.disabled = disabled or {}
        """Rule ids switched off, per ward code ("*": every ward)."""
        self._routing_cache: dict[tuple[str | None, ...], np.ndarray] = {}
        self.prefilter = Prefilter(self.rules, cache_dir)
        distinct: dict[str, int] = {}
        trees = []
        of_rule = []
        for rule in self.rules:
            text = json.dumps(rule.routing)
            if text not in distinct:
                distinct[text] = len(trees)
                trees.append(compile_routing(rule.routing))
            of_rule.append(distinct[text])
        self._routing_trees = trees
        self._routing_of_rule = np.array(of_rule, dtype=np.int64)

    # -- set-up ----------------------------------------------------------------------

    def _admitted(self, key: tuple[str | None, ...]) -> np.ndarray:
        found = self._routing_cache.get(key)
        if found is None:
            values = dict(zip(ROUTING_FIELDS, key, strict=True))
            # Many rules share one routing tree (e.g. Sysmon process creation): judge each once.
            verdicts = np.array(
                [judge(values) is not False for judge in self._routing_trees], dtype=bool
            )
            found = verdicts[self._routing_of_rule]
            self._routing_cache[key] = found
        return found

    # -- evaluation ------------------------------------------------------------------

    def evaluate(self, table: pa.Table) -> list[RuleHits]:
        """The rows of ``table`` (EVENT_SCHEMA) each rule matches."""
        if table.num_rows == 0 or not self.rules:
            return []
        group_of_row, admitted = self._route(table)
        if self.disabled:
            admitted = self._drop_disabled(table, group_of_row, admitted)
        candidates = self._candidates(table, group_of_row, admitted)
        if not candidates:
            return []
        return self._exact(table, candidates)

    def _route(self, table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
        columns = Columns(table, ROUTING_FIELDS)
        codes = np.zeros(table.num_rows, dtype=np.int64)
        dictionaries = []
        for name in ROUTING_FIELDS:
            encoded = columns.get(name).dictionary_encode()
            dictionary = [*encoded.dictionary.to_pylist(), None]
            index = np.asarray(encoded.indices.fill_null(len(dictionary) - 1))
            codes = codes * len(dictionary) + index
            dictionaries.append(dictionary)
        unique, group_of_row = np.unique(codes, return_inverse=True)
        admitted = np.zeros((len(unique), len(self.rules)), dtype=bool)
        for group, code in enumerate(unique):
            key = []
            for dictionary in reversed(dictionaries):
                code, position = divmod(int(code), len(dictionary))
                key.append(dictionary[position])
            admitted[group] = self._admitted(tuple(reversed(key)))
        return group_of_row.astype(np.int64), admitted

    def _candidates(
        self, table: pa.Table, group_of_row: np.ndarray, admitted: np.ndarray
    ) -> dict[int, np.ndarray]:
        """Rule index → sorted candidate rows.

        Rules without a useful literal share one row array per routing group (the same
        object), so that the evaluator can reuse the columns it took for those rows.
        """
        rows, rules = self.prefilter.hits(event_text(table, lower=True))
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

    def _exact(self, table: pa.Table, candidates: dict[int, np.ndarray]) -> list[RuleHits]:
        fields = {f for r in candidates for f in self.rules[r].fields}
        evaluator = Evaluator(Columns(table, fields))
        hits = []
        for rule_index in sorted(candidates):
            rule = self.rules[rule_index]
            rows = candidates[rule_index]
            assert rule.condition is not None
            matched = rows[evaluator.matches(rule.condition, rows)]
            if len(matched):
                hits.append(RuleHits(rule, matched))
        return hits
