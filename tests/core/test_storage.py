"""The one atomic-write helper: a crash or an error leaves the old file whole."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from rengo.core.sql import literal
from rengo.core.storage import (
    atomic_path,
    move_into_place,
    open_atomically,
    temporary_in,
    write_atomically,
)


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_an_error_while_streaming_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "evidence.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), open_atomically(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("the upload broke off")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.bin"]


def test_a_library_writes_the_temporary_path(tmp_path: Path) -> None:
    """DuckDB's COPY writes the file itself; it appears under the target name only after."""
    target = tmp_path / "it's data.parquet"  # a quote in the path: quoted by core.sql
    con = duckdb.connect()
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.endswith(".tmp")
        con.execute(f"COPY (SELECT 42 AS answer) TO {literal(tmp)} (FORMAT parquet)")
        assert not target.exists()
    assert con.execute(f"SELECT answer FROM read_parquet({literal(target)})").fetchall() == [(42,)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_a_failed_library_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "rollup.parquet"
    con = duckdb.connect()
    with pytest.raises(duckdb.Error), atomic_path(target) as tmp:
        con.execute(f"COPY (SELECT * FROM no_such_table) TO {literal(tmp)} (FORMAT parquet)")
    assert list(tmp_path.iterdir()) == []


def test_a_file_named_once_written_is_moved_into_place(tmp_path: Path) -> None:
    """Content-addressed files learn their name from what was written."""
    with temporary_in(tmp_path, "upload") as tmp:
        tmp.write_bytes(b"evidence")
        assert tmp.parent == tmp_path and tmp.name.startswith(".upload.")
        move_into_place(tmp, tmp_path / "named-after-content")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["named-after-content"]
    assert (tmp_path / "named-after-content").read_bytes() == b"evidence"


def test_a_temporary_never_moved_is_removed(tmp_path: Path) -> None:
    with pytest.raises(ValueError), temporary_in(tmp_path) as tmp:
        tmp.write_bytes(b"half")
        raise ValueError("the stream was too large")
    assert list(tmp_path.iterdir()) == []


def test_a_directory_replaces_a_directory_whole(tmp_path: Path) -> None:
    """A lake partition is swapped for its rewritten folder; the old folder is removed."""
    target = tmp_path / "account_key=a"
    target.mkdir()
    (target / "old.parquet").write_bytes(b"old")
    staged = tmp_path / "staging"
    staged.mkdir()
    (staged / "new.parquet").write_bytes(b"new")
    move_into_place(staged, target, sync_file=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["account_key=a"]
    assert sorted(p.name for p in target.iterdir()) == ["new.parquet"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    move_into_place(fresh, tmp_path / "account_key=b", sync_file=False)
    assert (tmp_path / "account_key=b").is_dir() and not fresh.exists()
