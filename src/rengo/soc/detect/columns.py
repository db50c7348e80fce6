"""Column work on EVENT_SCHEMA batches: original fields out of ``unmapped``, event text.

A Windows event keeps its fields in the ``unmapped`` MAP. Pulling hundreds of fields
one by one would scan every row's entries per field, so ``Columns`` indexes the map's
flat key array once per batch and materialises each field, when first asked for, with a
single ``take``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from rengo.soc.detect.ir import DATA_FIELD, STORED_COLUMNS, TEXT_FIELD, TEXT_SEPARATOR
from rengo.soc.parsers.windows import HEADER_FIELDS
from rengo.soc.schema import EVENT_SCHEMA

PSEUDO_FIELDS = frozenset({TEXT_FIELD, DATA_FIELD})
"""Fields computed from the whole event, not looked up in ``unmapped``."""

PREFILTER_COLUMNS = tuple(
    f.name
    for f in EVENT_SCHEMA
    if pa.types.is_string(f.type) and f.name not in ("event_id", "ward", "origin", "raw")
)


def map_lists(table: pa.Table) -> tuple[pa.ListArray, pa.ListArray]:
    """The ``unmapped`` column as (keys, values) list arrays, row-aligned."""
    column = table.column("unmapped").combine_chunks()
    offsets = pa.array(np.asarray(column.offsets), type=pa.int32())
    return (
        pa.ListArray.from_arrays(offsets, column.keys),
        pa.ListArray.from_arrays(offsets, column.items),
    )


def event_text(table: pa.Table, *, lower: bool, keyword_scope: bool = False) -> pa.Array:
    """Every value of each event joined by the text separator.

    ``keyword_scope`` limits it to the original fields and the message (what Sigma
    keywords search); otherwise the OCSF string columns are included too (prefilter).
    """
    _, values = map_lists(table)
    parts = [pc.binary_join(values, TEXT_SEPARATOR)]
    extra = ("message",) if keyword_scope else PREFILTER_COLUMNS
    parts += [table.column(name).combine_chunks() for name in extra]
    joined = pc.binary_join_element_wise(*parts, TEXT_SEPARATOR, null_handling="skip")
    return pc.utf8_lower(joined) if lower else joined


def event_data(table: pa.Table) -> pa.Array:
    """``DATA_FIELD`` of each event: the values of its data (all of ``unmapped`` but the
    Windows header), each between separators; null for an event without data."""
    keys, values = map_lists(table)
    flat_keys = keys.flatten()
    flat_values = values.flatten()
    keep = pc.and_(
        pc.invert(pc.is_in(flat_keys, value_set=pa.array(sorted(HEADER_FIELDS), pa.string()))),
        pc.is_valid(flat_values),
    )
    parents = np.asarray(pc.list_parent_indices(keys))[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=table.num_rows)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    kept = pa.ListArray.from_arrays(pa.array(offsets), flat_values.filter(keep))
    joined = pc.binary_join(kept, TEXT_SEPARATOR)
    wrapped = pc.binary_join_element_wise(TEXT_SEPARATOR, joined, TEXT_SEPARATOR, "")
    return pc.if_else(pa.array(counts > 0), wrapped, pa.scalar(None, pa.string()))


def _nullable_indices(take: np.ndarray) -> pa.Array:
    """Take indices with nulls where ``take < 0`` (built from buffers: ``pa.array(mask=…)``
    would import ``numpy.ma``, 20 ms of every process's start)."""
    valid = np.packbits(take >= 0, bitorder="little")
    return pa.Array.from_buffers(
        pa.int64(), len(take), [pa.py_buffer(valid), pa.py_buffer(take.astype(np.int64))]
    )


def text_parts(table: pa.Table) -> list[tuple[pa.Array, np.ndarray | None]]:
    """Every value of the events as lower-cased string arrays, each with the row of its
    elements (``None``: element i is row i) — what ``event_text`` joins, without joining."""
    _, values = map_lists(table)
    parts: list[tuple[pa.Array, np.ndarray | None]] = [
        (pc.utf8_lower(values.flatten()), np.asarray(pc.list_parent_indices(values)))
    ]
    for name in PREFILTER_COLUMNS:
        column = table.column(name)
        if column.null_count < len(column):
            parts.append((pc.utf8_lower(column.combine_chunks()), None))
    return parts


class Columns:
    """String columns of one batch by Sigma field name, original and lower-cased, on demand."""

    def __init__(self, table: pa.Table, fields: Iterable[str]) -> None:
        self.table = table
        self.rows = table.num_rows
        self._cache: dict[tuple[str, bool], pa.Array] = {}
        self._entries: dict[str, tuple[pa.Array, np.ndarray, np.ndarray]] = {}
        """field → (values of an indexed group of fields, rows, positions in those values)"""
        self._map: tuple[pa.Array, np.ndarray, pa.Array] | None = None
        self._encoded: dict[tuple[str, bool], tuple[pa.Array, np.ndarray]] = {}
        self.add(fields)

    def add(self, fields: Iterable[str]) -> None:
        """Index the entries of ``fields`` in ``unmapped`` (one pass for all new ones)."""
        names = sorted(
            {f for f in fields if f not in STORED_COLUMNS and f not in PSEUDO_FIELDS}
            - set(self._entries)
        )
        if not names:
            return
        if self._map is None:
            keys, values = map_lists(self.table)
            parents = np.asarray(pc.list_parent_indices(keys))
            self._map = (keys.flatten(), parents, values.flatten())
        flat_keys, parents, flat_values = self._map
        name_set = pa.array(names, pa.string())
        wanted = pc.indices_nonzero(pc.is_in(flat_keys, value_set=name_set))
        values = flat_values.take(wanted)
        rows_of = parents[np.asarray(wanted)]
        codes = np.asarray(pc.index_in(flat_keys.take(wanted), value_set=name_set))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for index, name in enumerate(names):
            positions = order[bounds[index] : bounds[index + 1]]
            self._entries[name] = (values, rows_of[positions], positions)

    def get(self, field: str, lower: bool = False) -> pa.Array:
        key = (field, lower)
        found = self._cache.get(key)
        if found is None:
            found = pc.utf8_lower(self.get(field)) if lower else self._original(field)
            self._cache[key] = found
        return found

    def encoded(self, field: str, lower: bool = False) -> tuple[pa.Array, np.ndarray]:
        """(distinct values, index of each row's value in them, -1 for null)."""
        key = (field, lower)
        found = self._encoded.get(key)
        if found is None:
            if lower:
                dictionary, codes = self.encoded(field)
                found = (pc.utf8_lower(dictionary), codes)
            elif field in STORED_COLUMNS or field in PSEUDO_FIELDS:
                encoded = self.get(field).dictionary_encode()
                codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
                found = (encoded.dictionary, codes)
            else:
                # Straight from the field's map entries: no column of nulls built first.
                if field not in self._entries:
                    self.add([field])
                values, rows, positions = self._entries[field]
                encoded = values.take(pa.array(positions)).dictionary_encode()
                codes = np.full(self.rows, -1, dtype=np.int64)
                codes[rows] = np.asarray(encoded.indices.fill_null(-1))
                found = (encoded.dictionary, codes)
            self._encoded[key] = found
        return found

    def _original(self, field: str) -> pa.Array:
        if field == TEXT_FIELD:
            return event_text(self.table, lower=False, keyword_scope=True)
        if field == DATA_FIELD:
            return event_data(self.table)
        if field in STORED_COLUMNS:
            return pc.cast(self.table.column(field), pa.string()).combine_chunks()
        if field not in self._entries:
            self.add([field])
        values, rows, positions = self._entries[field]
        take = np.full(self.rows, -1, dtype=np.int64)
        take[rows] = positions
        return values.take(_nullable_indices(take))

    def time(self) -> pa.Array:
        return self.table.column("time").combine_chunks()
