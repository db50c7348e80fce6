"""Which rules can match which events: every rule's routing tree judged at once per batch.

A routing tree (``analysis.routing_tree``) tests the routing fields (``class_uid``,
``Channel``, ``EventID``) in three-valued logic; a rule is skipped for the events of a
routing key whose tree is *false*. A batch holds a few hundred distinct keys and a rule
set a few hundred distinct trees, so the trees are evaluated as NumPy vectors over the
batch's new keys (each regular expression once per distinct field value), and every
key's verdicts are kept for the next batches.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from rengo.soc.detect.analysis import ROUTING_FIELDS, Routing

Key = tuple[str | None, ...]
"""Values of ``ROUTING_FIELDS`` of a group of events (as text; None when absent)."""
_Program = tuple[Any, ...]


class RoutingJudge:
    """Verdicts of ``trees`` per routing key: ``False`` where a tree cannot be true."""

    def __init__(self, trees: Sequence[Routing]) -> None:
        self._leaf_of: dict[tuple[int, str], int] = {}
        self._patterns: list[re.Pattern[str]] = []
        self._leaf_fields: list[int] = []
        self._programs = [self._compile(tree) for tree in trees]
        self._verdicts: dict[Key, np.ndarray] = {}

    def _compile(self, tree: Routing) -> _Program:
        op = tree[0]
        if op == "?":
            return ("?",)
        if op == "match":
            leaf = self._leaf_of.setdefault(
                (ROUTING_FIELDS.index(tree[1]), tree[2]), len(self._patterns)
            )
            if leaf == len(self._patterns):
                self._patterns.append(re.compile(tree[2], re.DOTALL))
                self._leaf_fields.append(ROUTING_FIELDS.index(tree[1]))
            return ("leaf", leaf)
        if op == "not":
            return ("not", self._compile(tree[1]))
        return (op, tuple(self._compile(t) for t in tree[1]))

    def admitted(self, keys: Sequence[Key]) -> np.ndarray:
        """Boolean (len(keys), len(trees)): whether a tree may be true for a key."""
        new = [key for key in dict.fromkeys(keys) if key not in self._verdicts]
        if new:
            for key, verdicts in zip(new, self._judge(new), strict=True):
                self._verdicts[key] = verdicts
        if not keys:
            return np.zeros((0, len(self._programs)), dtype=bool)
        return np.stack([self._verdicts[key] for key in keys])

    def _judge(self, keys: list[Key]) -> np.ndarray:
        leaf_true = np.zeros((len(self._patterns), len(keys)), dtype=bool)
        for field in range(len(ROUTING_FIELDS)):
            values = [key[field] for key in keys]
            distinct = list(dict.fromkeys(values))
            where = {value: i for i, value in enumerate(distinct)}
            position = np.array([where[v] for v in values], dtype=np.int64)
            lowered = [v.lower() if v is not None else None for v in distinct]
            for leaf, leaf_field in enumerate(self._leaf_fields):
                if leaf_field != field:
                    continue
                pattern = self._patterns[leaf]
                hits = np.array(
                    [v is not None and pattern.fullmatch(v) is not None for v in lowered],
                    dtype=bool,
                )
                leaf_true[leaf] = hits[position]
        out = np.empty((len(keys), len(self._programs)), dtype=bool)
        for index, program in enumerate(self._programs):
            _true, false = self._evaluate(program, leaf_true, len(keys))
            out[:, index] = ~false
        return out

    def _evaluate(
        self, program: _Program, leaf_true: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Kleene logic as two vectors: (certainly true, certainly false)."""
        op = program[0]
        if op == "?":
            unknown = np.zeros(n, dtype=bool)
            return unknown, unknown
        if op == "leaf":
            hit = leaf_true[program[1]]
            return hit, ~hit
        if op == "not":
            true, false = self._evaluate(program[1], leaf_true, n)
            return false, true
        parts = [self._evaluate(p, leaf_true, n) for p in program[1]]
        trues = np.array([t for t, _ in parts])
        falses = np.array([f for _, f in parts])
        if op == "and":
            return np.asarray(trues.all(axis=0)), np.asarray(falses.any(axis=0))
        return np.asarray(trues.any(axis=0)), np.asarray(falses.all(axis=0))
