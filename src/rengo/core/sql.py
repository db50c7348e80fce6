"""Quoting for the SQL text that bound parameters cannot carry.

Values go into SQL as bound parameters wherever the statement allows them. What remains is
text that DuckDB must see in the statement itself: the SQL of views and rollups kept for
later, ``COPY … TO`` targets, the file lists of ``read_parquet([...])``, and identifiers
(column names found in a customer's export). Those are quoted here, in one place, so that
no module writes its own ``replace("'", "''")``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def literal(value: str | os.PathLike[str]) -> str:
    """A SQL string literal: ``O'Brien`` → ``'O''Brien'`` (paths as their text)."""
    return "'" + os.fspath(value).replace("'", "''") + "'"


def literal_or_null(value: str | None) -> str:
    """``literal(value)``, or ``NULL`` for None."""
    return "NULL" if value is None else literal(value)


def literal_list(values: Iterable[str | os.PathLike[str]]) -> str:
    """Comma-separated literals (for ``IN (…)`` and ``read_parquet([…])``); empty for none."""
    return ", ".join(literal(v) for v in values)


def identifier(name: str) -> str:
    """A quoted SQL identifier (double quotes, inner ones doubled)."""
    return '"' + name.replace('"', '""') + '"'


def json_member_path(key: str) -> str:
    """The literal JSON path of one member of an object, whatever the key's text."""
    return literal('$."' + key.replace('"', '\\"') + '"')
