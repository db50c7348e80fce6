"""Quoting for SQL text that bound parameters cannot carry: DuckDB reads back what went in."""

from __future__ import annotations

import duckdb
import pytest

from rengo.core.sql import identifier, json_member_path, literal, literal_list, literal_or_null

AWKWARD = ["O'Brien", "a''b", 'say "hi"', "--; DROP TABLE x; --", "", "新宿区", "back\\slash"]


@pytest.mark.parametrize("text", AWKWARD)
def test_a_literal_reads_back_as_the_same_text(text: str) -> None:
    assert duckdb.sql(f"SELECT {literal(text)}").fetchall() == [(text,)]


def test_lists_and_null() -> None:
    assert duckdb.sql(f"SELECT [{literal_list(AWKWARD)}]").fetchall() == [(AWKWARD,)]
    assert literal_list([]) == ""
    assert duckdb.sql(f"SELECT {literal_or_null(None)}").fetchall() == [(None,)]


@pytest.mark.parametrize("name", ['Cost "net"', "x_Ward", "select", "請求額"])
def test_an_identifier_names_exactly_that_column(name: str) -> None:
    got = duckdb.sql(f"SELECT 1 AS {identifier(name)}")
    assert got.columns == [name]


def test_a_json_member_path_reaches_keys_with_quotes_and_dots() -> None:
    tags = '{"cost.centre": "A", "say \\"hi\\"": "B"}'
    for key, value in [("cost.centre", "A"), ('say "hi"', "B")]:
        sql = f"SELECT json_extract_string({literal(tags)}, {json_member_path(key)})"
        assert duckdb.sql(sql).fetchall() == [(value,)]
