"""The intermediate form of a converted Sigma detection, and its DuckDB SQL rendering.

The backend turns a rule into a small JSON-able tree; the SQL below and the engine's
vectorised evaluator (``rengo.soc.detect.evaluate``) are two readings of the same tree,
so they cannot disagree on what a modifier means. Nodes:

    ["and", [n…]]  ["or", [n…]]  ["not", n]
    ["str", field, lower, op, text]      op: eq | contains | startswith | endswith | like
    ["in", field, lower, [text…]]        equality with any of the texts
    ["anyof", field, lower, op, [text…]] op (contains | startswith | endswith) any text
    ["re", field, pattern, engine]       engine: re2 | python (search, flags inline)
    ["exists", field]  ["null", field]
    ["cmp", field, op, number]           op: < <= > >= <>
    ["fieldref", field, other, mode]     mode: eq | startswith | endswith | contains
    ["tspart", field, part, number]      part: minute hour day week month year
    ["segment", field, name]             an address in the event's ward's ranges of the
                                         three-layer segment ``name`` (asset register)

Semantics (Sigma's): a missing field matches nothing, so ``not`` of a condition on a
missing field is true — NULLs are folded to false at the leaves. ``lower`` columns are
the lower-cased twins used for case-insensitive matching.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rengo.core.sql import identifier, literal, literal_list
from rengo.soc.parsers.windows import HEADER_FIELDS
from rengo.soc.schema import COLUMNS

Node = list[Any]
TEXT_FIELD = "__text"
"""Pseudo field: every value of an event joined by ``TEXT_SEPARATOR`` (keyword search)."""
TEXT_SEPARATOR = "\x1f"
DATA_FIELD = "__data"
"""Pseudo field: the event's data as a whole — every value but the Windows header's,
each between ``TEXT_SEPARATOR``s — for Sigma's ``Data`` (see ``data_container``)."""
DATA_CONTAINER = "Data"
"""The Sigma field that means "the container for the event data as a whole" (SigmaHQ's
ESENT and PowerShell classic rules), beside a ``<Data Name="Data">`` field of its own."""
LOWER_SUFFIX = "#lc"
TIME_FIELDS = frozenset({"time", "@timestamp", "timestamp", "SystemTime", "TimeCreated"})
PCRE_FUNCTION = "rengo_pcre"
"""Python ``re`` search, registered on DuckDB connections, for patterns RE2 refuses."""
STORED_COLUMNS = frozenset(COLUMNS) - {"unmapped", "raw"}
SEGMENTS = ("mynumber", "lgwan", "internet")
"""The three-layer model's segments, as the asset register names them."""
SEGMENT_PLACEHOLDERS = {f"segment_{name}": name for name in SEGMENTS}
"""``%segment_<name>%``: the event's own ward's ranges of that segment, known at run time."""
SEGMENT_FUNCTION = "rengo_in_segment"
"""``rengo_in_segment(ward, address, segment)``, registered on DuckDB connections."""


def fields_of(node: Node) -> set[str]:
    kind = node[0]
    if kind in ("and", "or"):
        return set().union(*(fields_of(n) for n in node[1]))
    if kind == "not":
        return fields_of(node[1])
    if kind == "fieldref":
        return {node[1], node[2]}
    if kind == "tspart" and node[1] in TIME_FIELDS:
        return {"time"}
    return {node[1]}


# -- SQL --------------------------------------------------------------------------------


def column(field: str, lower: bool) -> str:
    """The flat relation's column for ``field`` (its lower-cased twin if ``lower``)."""
    return identifier(field + LOWER_SUFFIX if lower else field)


_SQL_STRING_OPS = {
    "contains": "contains({col}, {lit})",
    "startswith": "starts_with({col}, {lit})",
    "endswith": "ends_with({col}, {lit})",
    "eq": "{col} = {lit}",
    "like": "{col} LIKE {lit} ESCAPE '\\'",
}


def to_sql(node: Node) -> str:
    """A DuckDB boolean expression over the flat relation."""
    kind = node[0]
    if kind == "and":
        return " AND ".join(f"({to_sql(n)})" for n in node[1])
    if kind == "or":
        return " OR ".join(f"({to_sql(n)})" for n in node[1])
    if kind == "not":
        return f"NOT coalesce(({to_sql(node[1])}), false)"
    if kind == "str":
        _, field, lower, op, text = node
        return _SQL_STRING_OPS[op].format(col=column(field, lower), lit=literal(text))
    if kind == "anyof":
        _, field, lower, op, texts = node
        return " OR ".join(f"({to_sql(['str', field, lower, op, t])})" for t in texts)
    if kind == "in":
        _, field, lower, texts = node
        return f"{column(field, lower)} IN ({literal_list(texts)})"
    if kind == "re":
        _, field, pattern, engine = node
        function = "regexp_matches" if engine == "re2" else PCRE_FUNCTION
        return f"{function}({column(field, False)}, {literal(pattern)})"
    if kind == "exists":
        return f"{column(node[1], False)} IS NOT NULL"
    if kind == "null":
        return f"{column(node[1], False)} IS NULL"
    if kind == "cmp":
        _, field, op, number = node
        return f"TRY_CAST({column(field, False)} AS DOUBLE) {op} {number}"
    if kind == "fieldref":
        _, field, other, mode = node
        left, right = column(field, True), column(other, True)
        if mode == "eq":
            return f"{left} = {right}"
        duck = {"startswith": "starts_with", "endswith": "ends_with"}.get(mode, mode)
        return f"{duck}({left}, {right})"
    if kind == "tspart":
        _, field, part, number = node
        source = (
            '"time"' if field in TIME_FIELDS else f"TRY_CAST({column(field, False)} AS TIMESTAMPTZ)"
        )
        return f"date_part('{part}', timezone('UTC', {source})) = {int(number)}"
    if kind == "segment":
        _, field, name = node
        return f"{SEGMENT_FUNCTION}(ward, {column(field, False)}, {literal(name)})"
    raise ValueError(f"unknown IR node {kind!r}")


def data_container(node: Node) -> Node:
    """``node`` with every leaf on ``Data`` also tried on the event data as a whole.

    The field ``Data`` keeps its own meaning (the first unnamed ``<Data>``, or a named one:
    both are values of the event data, so a string test on the whole data finds them) and
    matches too when any value of the event data matches: ``eq`` as a whole value,
    ``startswith``/``endswith`` at a value's edge (the separators mark them), ``contains``
    and regular expressions anywhere in the data, ``key=value`` lines included.
    """
    kind = node[0]
    if kind in ("and", "or"):
        return [kind, [data_container(n) for n in node[1]]]
    if kind == "not":
        return ["not", data_container(node[1])]
    if len(node) < 2 or node[1] != DATA_CONTAINER:
        return node
    sep = TEXT_SEPARATOR
    edges = {
        "eq": (sep, sep),
        "startswith": (sep, ""),
        "endswith": ("", sep),
        "contains": ("", ""),
    }
    if kind == "str":
        _, _, lower, op, text = node
        if op == "like":
            return ["str", DATA_FIELD, lower, "like", f"%{sep}{text}{sep}%"]
        before, after = edges[op]
        return ["str", DATA_FIELD, lower, "contains", f"{before}{text}{after}"]
    if kind == "in":
        _, _, lower, texts = node
        return ["anyof", DATA_FIELD, lower, "contains", [f"{sep}{t}{sep}" for t in texts]]
    if kind == "anyof":
        _, _, lower, op, texts = node
        before, after = edges[op]
        return ["anyof", DATA_FIELD, lower, "contains", [f"{before}{t}{after}" for t in texts]]
    if kind == "exists":
        return ["exists", DATA_FIELD]
    if kind == "re":
        # ^ and $ anchor at the field's own value; the whole data is searched besides.
        return ["or", [node, ["re", DATA_FIELD, node[2], node[3]]]]
    if kind == "null":
        return ["and", [node, ["null", DATA_FIELD]]]
    return node


def event_data_sql() -> str:
    """DuckDB: ``DATA_FIELD``'s value of an EVENT_SCHEMA row (null without event data)."""
    header = literal_list(sorted(HEADER_FIELDS))
    values = (
        f"list_transform(list_filter(map_entries(unmapped), lambda e: NOT list_contains("
        f"[{header}], e.key) AND e.value IS NOT NULL), lambda e: e.value)"
    )
    return (
        f"(CASE WHEN len({values}) > 0 THEN '{TEXT_SEPARATOR}' || "
        f"array_to_string({values}, '{TEXT_SEPARATOR}') || '{TEXT_SEPARATOR}' END)"
    )


def flat_relation_sql(fields: Iterable[str], source: str = "events") -> str:
    """SELECT building the flat relation over EVENT_SCHEMA rows in ``source``."""
    select = ["event_id", '"time"', "ward"]
    for field in sorted(set(fields) - {"time"}):
        if field == TEXT_FIELD:
            raw = (
                f"concat_ws('{TEXT_SEPARATOR}', array_to_string(map_values(unmapped), "
                f"'{TEXT_SEPARATOR}'), message)"
            )
        elif field == DATA_FIELD:
            raw = event_data_sql()
        elif field in STORED_COLUMNS:
            raw = f"CAST({identifier(field)} AS VARCHAR)"
        else:
            raw = f"unmapped[{literal(field)}]"
        select += [f"{raw} AS {column(field, False)}", f"lower({raw}) AS {column(field, True)}"]
    return f"SELECT {', '.join(select)} FROM {source}"  # noqa: S608 - columns quoted by core.sql


def hunting_sql(node: Node, source: str = "events") -> str:
    """A standalone DuckDB query: ids of the events in ``source`` matching ``node``."""
    return (
        f"WITH flat AS ({flat_relation_sql(fields_of(node), source)})\n"
        f"SELECT event_id FROM flat WHERE {to_sql(node)}"
    )
