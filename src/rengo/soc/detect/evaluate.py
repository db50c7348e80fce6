"""Vectorised evaluation of the IR over a batch, with Arrow compute kernels.

A rule is evaluated on the rows that are still undecided: an ``and`` hands each child
only the rows the previous children kept, an ``or`` only the rows not yet matched, so
a rule's cheap, selective leaf usually decides most rows alone. The kernels are the
ones DuckDB's SQL uses (substring, prefix, suffix, LIKE with backslash escapes, RE2),
so the engine and the SQL rendering agree; the agreement is tested on real data.

Most calls reach a leaf with a handful of rows (an ``and`` has already narrowed them),
where a kernel call costs more than the work — and ``match_like`` or an alternation
compiles a regular expression on every call. Such small string tests are done in
Python on the same (Arrow-lowered) values, with the same meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rengo.soc.detect.analysis import like_tokens
from rengo.soc.detect.columns import Columns
from rengo.soc.detect.ir import TEXT_FIELD, TIME_FIELDS, Node
from rengo.soc.detect.segments import SegmentRanges

SMALL_ROWS = 32
"""At most this many rows: plain string tests in Python instead of a kernel call."""
SMALL_ROWS_COMPILED = 512
"""The same for tests a kernel would compile a regular expression for (LIKE, any-of)."""

_STRING_KERNELS = {
    "eq": pc.equal,
    "contains": pc.match_substring,
    "startswith": pc.starts_with,
    "endswith": pc.ends_with,
    "like": pc.match_like,
}
_PARTS = {
    "minute": pc.minute,
    "hour": pc.hour,
    "day": pc.day,
    "week": pc.iso_week,
    "month": pc.month,
    "year": pc.year,
}
_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "<>": np.not_equal,
}


@lru_cache(maxsize=8192)
def python_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=65536)
def _scalar(text: str) -> pa.Scalar:
    # Converting a Python str to an Arrow scalar costs ~35 µs per call; once per text here.
    return pa.scalar(text, pa.string())


@lru_cache(maxsize=16384)
def _value_set(texts: tuple[str, ...]) -> pc.SetLookupOptions:
    return pc.SetLookupOptions(pa.array(texts, pa.string()))


@lru_cache(maxsize=4096)
def _alternation(op: str, texts: tuple[str, ...]) -> str:
    body = "(?:" + "|".join(re.escape(t) for t in texts) + ")"
    return {"startswith": "^" + body, "endswith": body + "$"}.get(op, body)


@lru_cache(maxsize=8192)
def _like_regex(pattern: str) -> re.Pattern[str]:
    """A LIKE pattern (backslash escapes; ``%``, ``_`` match newlines too, as in Arrow)."""
    tokens = like_tokens(pattern)
    body = "".join(
        re.escape(t) if i % 2 == 0 else (".*" if t == "%" else ".") for i, t in enumerate(tokens)
    )
    return re.compile(body, re.DOTALL)


ValueTest: TypeAlias = Callable[[Any], object]
"""A test of one non-null value, done in Python."""

_PYTHON_TESTS: dict[str, Callable[[str], ValueTest]] = {
    "eq": lambda text: lambda v: v == text,
    "contains": lambda text: lambda v: text in v,
    "startswith": lambda text: lambda v: v.startswith(text),
    "endswith": lambda text: lambda v: v.endswith(text),
    "like": lambda text: _like_regex(text).fullmatch,
}


def _python_test(node: Node) -> tuple[int, ValueTest] | None:
    """(row limit, test of one non-null value) for a leaf worth doing in Python, else None."""
    kind = node[0]
    if kind == "str":
        limit = SMALL_ROWS_COMPILED if node[3] == "like" else SMALL_ROWS
        return limit, _PYTHON_TESTS[node[3]](node[4])
    if kind == "in":
        values = frozenset(node[3])
        return SMALL_ROWS, values.__contains__
    if kind == "anyof":
        texts = tuple(node[4])
        if node[3] == "startswith":
            return SMALL_ROWS_COMPILED, lambda v: v.startswith(texts)
        if node[3] == "endswith":
            return SMALL_ROWS_COMPILED, lambda v: v.endswith(texts)
        return SMALL_ROWS_COMPILED, lambda v: any(t in v for t in texts)
    return None


_STRING_LEAVES = frozenset({"str", "in", "anyof", "re", "exists", "null"})


def _string_test(node: Node, values: pa.Array) -> np.ndarray:
    """A string leaf over ``values`` (nulls are false, except for ``null``)."""
    kind = node[0]
    if kind == "str":
        _, _, _, op, text = node
        if op == "eq":
            return _bools(pc.equal(values, _scalar(text)))
        return _bools(_STRING_KERNELS[op](values, text))
    if kind == "anyof":
        _, _, _, op, texts = node
        return _bools(pc.match_substring_regex(values, _alternation(op, tuple(texts))))
    if kind == "in":
        return _bools(pc.is_in(values, options=_value_set(tuple(node[3]))))
    if kind == "re":
        _, _, pattern, engine = node
        if engine == "re2":
            return _bools(pc.match_substring_regex(values, pattern))
        regex = python_regex(pattern)
        return np.array(
            [v is not None and regex.search(v) is not None for v in values.to_pylist()],
            dtype=bool,
        )
    if kind == "exists":
        return _bools(pc.is_valid(values))
    return _bools(pc.is_null(values))


def _bools(array: pa.Array) -> np.ndarray:
    return np.asarray(array.fill_null(False), dtype=bool)


def _number(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


def _timestamp(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class Evaluator:
    """Evaluates IR nodes over the rows of one batch."""

    def __init__(self, columns: Columns, segments: SegmentRanges | None = None) -> None:
        self.columns = columns
        self.segments = segments or SegmentRanges()
        self.all_rows = columns.rows
        # Columns taken for a row array that many rules share (one routing group).
        self._taken: dict[tuple[int, str, bool], pa.Array] = {}
        self._keep: list[np.ndarray] = []
        self._python_tests: dict[int, tuple[int, ValueTest] | None] = {}
        self._keys: dict[int, str] = {}
        self._verdicts: dict[str, np.ndarray] = {}
        """Leaf → result per distinct value of its field (+ False for null), this batch."""

    def _key(self, node: Node) -> str:
        # Rules share leaves (same field, test, text): one verdict serves them all.
        found = self._keys.get(id(node))
        if found is None:
            found = self._keys[id(node)] = repr(node)
        return found

    def _values(self, field: str, lower: bool, rows: np.ndarray) -> pa.Array:
        column = self.columns.get(field, lower)
        if len(rows) == self.all_rows:
            return column
        if len(rows) < 1024:
            return column.take(pa.array(rows))
        key = (id(rows), field, lower)
        found = self._taken.get(key)
        if found is None:
            found = column.take(pa.array(rows))
            self._taken[key] = found
            self._keep.append(rows)  # keeps id(rows) from being reused while cached
        return found

    def matches(self, node: Node, rows: np.ndarray) -> np.ndarray:
        """Boolean mask over ``rows``: which of them satisfy ``node``."""
        kind = node[0]
        if kind == "and":
            alive = np.arange(len(rows))
            for child in node[1]:
                if not len(alive):
                    break
                subset = rows if len(alive) == len(rows) else rows[alive]
                alive = alive[self.matches(child, subset)]
            mask = np.zeros(len(rows), dtype=bool)
            mask[alive] = True
            return mask
        if kind == "or":
            mask = np.zeros(len(rows), dtype=bool)
            pending = np.arange(len(rows))
            for child in node[1]:
                if not len(pending):
                    break
                hit = self.matches(child, rows if len(pending) == len(rows) else rows[pending])
                mask[pending[hit]] = True
                pending = pending[~hit]
            return mask
        if kind == "not":
            return ~self.matches(node[1], rows)
        if not len(rows):
            return np.zeros(0, dtype=bool)
        return self._leaf(node, rows)

    def _leaf(self, node: Node, rows: np.ndarray) -> np.ndarray:
        kind = node[0]
        if kind in ("str", "in", "anyof") and len(rows) <= SMALL_ROWS_COMPILED:
            if id(node) not in self._python_tests:
                self._python_tests[id(node)] = _python_test(node)
            found = self._python_tests[id(node)]
            if found is not None and len(rows) <= found[0]:
                test = found[1]
                column = self.columns.get(node[1], node[2])
                values = (
                    [column[r].as_py() for r in rows.tolist()]
                    if len(rows) <= 4
                    else column.take(pa.array(rows)).to_pylist()
                )
                return np.array([v is not None and bool(test(v)) for v in values], dtype=bool)
        if kind in _STRING_LEAVES:
            field = node[1]
            lower = bool(node[2]) if kind in ("str", "in", "anyof") else False
            if field != TEXT_FIELD and len(rows) > SMALL_ROWS_COMPILED:
                dictionary, codes = self.columns.encoded(field, lower)
                if kind in ("exists", "null"):
                    present: np.ndarray = codes[rows] >= 0
                    return present if kind == "exists" else ~present
                verdict = self._verdicts.get(self._key(node))
                if verdict is not None or len(dictionary) <= 2 * len(rows):
                    if verdict is None:
                        # Each distinct value once (logs repeat theirs), for every rule alike.
                        tested = _string_test(node, dictionary)
                        verdict = self._verdicts[self._key(node)] = np.append(tested, False)
                    picked: np.ndarray = verdict[codes[rows]]
                    return picked
            return _string_test(node, self._values(field, lower, rows))
        if kind == "cmp":
            _, field, op, number = node
            values = self._values(field, False, rows).to_pylist()
            numbers = np.array([_number(v) for v in values], dtype=float)
            with np.errstate(invalid="ignore"):
                compared: np.ndarray = _COMPARE[op](numbers, number) & ~np.isnan(numbers)
            return compared
        if kind == "fieldref":
            return self._fieldref(node, rows)
        if kind == "segment":
            return self._segment(node, rows)
        if kind == "tspart":
            return self._timestamp_part(node, rows)
        raise ValueError(f"unknown IR node {kind!r}")

    def _segment(self, node: Node, rows: np.ndarray) -> np.ndarray:
        """Each distinct (ward, address) of the rows judged once against that ward's ranges."""
        _, field, name = node
        if not self.segments:
            return np.zeros(len(rows), dtype=bool)
        wards, ward_codes = self.columns.encoded("ward")
        addresses, address_codes = self.columns.encoded(field)
        width = len(addresses) + 1
        pairs = ward_codes[rows] * width + address_codes[rows] + 1
        unique, inverse = np.unique(pairs, return_inverse=True)
        ward_names, address_texts = wards.to_pylist(), [None, *addresses.to_pylist()]
        verdicts = np.array(
            [
                self.segments.contains(ward_names[p // width], address_texts[p % width], name)
                for p in unique.tolist()
            ],
            dtype=bool,
        )
        return verdicts[inverse]

    def _fieldref(self, node: Node, rows: np.ndarray) -> np.ndarray:
        _, field, other, mode = node
        left, right = self._values(field, True, rows), self._values(other, True, rows)
        if mode == "eq":
            return _bools(pc.equal(left, right))
        test = {
            "startswith": str.startswith,
            "endswith": str.endswith,
            "contains": str.__contains__,
        }[mode]
        return np.array(
            [
                a is not None and b is not None and test(a, b)
                for a, b in zip(left.to_pylist(), right.to_pylist(), strict=True)
            ],
            dtype=bool,
        )

    def _timestamp_part(self, node: Node, rows: np.ndarray) -> np.ndarray:
        _, field, part, number = node
        if field in TIME_FIELDS:
            times = self.columns.time()
            if len(rows) != self.all_rows:
                times = times.take(pa.array(rows))
            matched: np.ndarray = np.asarray(_PARTS[part](times).fill_null(-1)) == number
            return matched
        parsed = [_timestamp(v) for v in self._values(field, False, rows).to_pylist()]

        def attribute(d: datetime) -> object:
            return d.isocalendar()[1] if part == "week" else getattr(d, part)

        return np.array([d is not None and attribute(d) == number for d in parsed], dtype=bool)
