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

from rengo.soc.detect.ir import STORED_COLUMNS, TEXT_FIELD, TEXT_SEPARATOR
from rengo.soc.schema import EVENT_SCHEMA

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


class Columns:
    """String columns of one batch by Sigma field name, original and lower-cased, on demand."""

    def __init__(self, table: pa.Table, fields: Iterable[str]) -> None:
        self.table = table
        self.rows = table.num_rows
        self._cache: dict[tuple[str, bool], pa.Array] = {}
        self._map_fields = sorted(
            {f for f in fields if f not in STORED_COLUMNS and f != TEXT_FIELD}
        )
        self._index_map()

    def _index_map(self) -> None:
        names = self._map_fields
        self._positions: dict[str, np.ndarray] = {}
        self._rows_of: np.ndarray = np.zeros(0, dtype=np.int64)
        if not names or not self.rows:
            return
        keys, values = map_lists(self.table)
        flat_keys = keys.flatten()
        parents = np.asarray(pc.list_parent_indices(keys))
        name_set = pa.array(names)
        wanted = pc.indices_nonzero(pc.is_in(flat_keys, value_set=name_set))
        self._values = values.flatten().take(wanted)
        self._rows_of = parents[np.asarray(wanted)]
        codes = np.asarray(pc.index_in(flat_keys.take(wanted), value_set=name_set))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        for index, name in enumerate(names):
            self._positions[name] = order[bounds[index] : bounds[index + 1]]

    def get(self, field: str, lower: bool = False) -> pa.Array:
        key = (field, lower)
        found = self._cache.get(key)
        if found is None:
            found = pc.utf8_lower(self.get(field)) if lower else self._original(field)
            self._cache[key] = found
        return found

    def _original(self, field: str) -> pa.Array:
        if field == TEXT_FIELD:
            return event_text(self.table, lower=False, keyword_scope=True)
        if field in STORED_COLUMNS:
            return pc.cast(self.table.column(field), pa.string()).combine_chunks()
        positions = self._positions.get(field)
        if positions is None:
            self._map_fields.append(field)
            self._index_map()
            positions = self._positions[field]
        take = np.full(self.rows, -1, dtype=np.int64)
        take[self._rows_of[positions]] = positions
        return self._values.take(pa.array(take, mask=take < 0))

    def time(self) -> pa.Array:
        return self.table.column("time").combine_chunks()
