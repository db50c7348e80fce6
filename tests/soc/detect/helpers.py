"""Helpers for detection tests: events in EVENT_SCHEMA, rules from YAML text, SQL reference."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from rengo.soc.detect.engine import Engine
from rengo.soc.detect.ir import fields_of, flat_relation_sql, to_sql
from rengo.soc.detect.rules import CompiledRule, RuleSet, load_rules
from rengo.soc.detect.segments import SegmentRanges
from rengo.soc.detect.sql import register_functions
from rengo.soc.schema import EVENT_SCHEMA

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def events(*rows: dict[str, Any], ward: str = "131016") -> pa.Table:
    """EVENT_SCHEMA rows: keys that are schema columns go there, the rest into ``unmapped``."""
    out = []
    for index, row in enumerate(rows):
        stored = {k: v for k, v in row.items() if k in EVENT_SCHEMA.names}
        unmapped = {k: str(v) for k, v in row.items() if k not in EVENT_SCHEMA.names}
        out.append(
            {
                "event_id": stored.pop("event_id", f"e{index}"),
                "time": stored.pop("time", T0 + timedelta(seconds=index)),
                "ward": stored.pop("ward", ward),
                "origin": "real",
                "class_uid": stored.pop("class_uid", 0),
                **stored,
                "unmapped": list(unmapped.items()),
            }
        )
    return pa.Table.from_pylist(out, schema=EVENT_SCHEMA)


def sysmon(sysmon_event: int = 1, **fields: Any) -> dict[str, Any]:
    return {"Channel": SYSMON, "EventID": sysmon_event, **fields}


def rules_from_yaml(tmp_path: Path, *documents: str, name: str = "rule") -> RuleSet:
    for index, document in enumerate(documents):
        path = tmp_path / f"{name}{index}.yml"
        path.write_text(textwrap.dedent(document), "utf-8")
    return load_rules([tmp_path])


def engine_matches(
    rules: RuleSet | Iterable[CompiledRule], table: pa.Table, segments: SegmentRanges | None = None
) -> dict[str, list[str]]:
    """rule title → ids of the events the engine matched."""
    ids = table.column("event_id").to_pylist()
    hits = Engine(rules, segments=segments).evaluate(table)
    return {hit.rule.title: sorted(ids[i] for i in hit.rows.tolist()) for hit in hits}


def sql_matches(
    rules: Iterable[CompiledRule], table: pa.Table, segments: SegmentRanges | None = None
) -> dict[str, list[str]]:
    """The same with each rule's SQL in DuckDB over the flat relation (the reference)."""
    rules = [r for r in rules if r.condition is not None]
    con = duckdb.connect()
    register_functions(con, segments)
    con.register("events", table)
    fields = set().union(*(fields_of(r.condition) for r in rules)) if rules else set()
    con.execute(f"CREATE TABLE flat AS {flat_relation_sql(fields)}")
    out = {}
    for rule in rules:
        found = con.execute(
            f"SELECT event_id FROM flat WHERE {to_sql(rule.condition)} ORDER BY event_id"
        ).fetchall()
        if found:
            out[rule.title] = [e for (e,) in found]
    return out
