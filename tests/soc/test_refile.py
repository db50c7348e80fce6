"""Events filed under another partition by earlier versions are moved to their own, once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from rengo.cli import app
from rengo.soc import refile as refile_module
from rengo.soc.refile import refile
from rengo.soc.search import EventQuery, search_events
from rengo.soc.service import SocStore
from tests.soc.test_lake_layout import CHIYODA, MINATO, WIDE, fill, ips


def misfile(store: SocStore) -> Path:
    """Make one of Chiyoda's files hold a Minato event of the next day, as the old
    partitioning did; return the file."""
    folder = store.lake.events_dir / f"class_uid=3002/ward={CHIYODA}/day=2026-05-01"
    path = next(folder.glob("p-*.parquet"))
    table = pq.read_table(path)
    stray = table.slice(0, 1)
    changes = {
        "ward": pa.array([MINATO]),
        "time": pc.add(stray["time"], pa.scalar(timedelta(days=1))),
        "event_id": pa.array(["stray-event"]),
    }
    for name, value in changes.items():
        index = stray.schema.get_field_index(name)
        stray = stray.set_column(index, stray.schema.field(index), value)
    pq.write_table(pa.concat_tables([table, stray]), path)
    return path


def where(store: SocStore, event_id: str) -> list[Path]:
    return [
        p
        for p in store.lake.events_dir.rglob("*.parquet")
        if event_id in pq.read_table(p, columns=["event_id"])["event_id"].to_pylist()
    ]


def test_a_stray_event_moves_to_its_own_ward_and_day(soc_store: SocStore) -> None:
    fill(soc_store)
    misfile(soc_store)
    before = len(ips(soc_store))
    report = refile(soc_store.lake)
    assert (report.files_repaired, report.events_moved) == (1, 1)
    [home] = where(soc_store, "stray-event")
    assert home.parent.parts[-3:] == ("class_uid=3002", f"ward={MINATO}", "day=2026-05-02")
    assert len(ips(soc_store)) == before
    # Found by a search pruned to Minato's folders (before, it sat in Chiyoda's).
    found = search_events(soc_store.lake, EventQuery(*WIDE, wards=frozenset({MINATO}), limit=100))
    assert "stray-event" in [e["event_id"] for e in found.items]
    assert refile(soc_store.lake).files_repaired == 0  # a second pass finds nothing


def test_a_pass_cut_short_is_finished_by_the_next_without_a_duplicate(
    soc_store: SocStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(soc_store)
    misfile(soc_store)
    # As if the process died after the stray rows were written to their own partition,
    # before the file they came from was rewritten.
    monkeypatch.setattr(refile_module, "_replace", lambda path, rows: None)
    refile(soc_store.lake)
    monkeypatch.undo()
    assert len(where(soc_store, "stray-event")) == 2
    refile(soc_store.lake)
    assert len(where(soc_store, "stray-event")) == 1


def test_compact_refile_on_the_command_line(soc_store: SocStore) -> None:
    fill(soc_store)
    misfile(soc_store)
    data_dir = soc_store.lake.root.parents[1]
    soc_store.writer.release()
    result = CliRunner().invoke(app, ["soc", "compact", "--refile", "--data-dir", str(data_dir)])
    assert soc_store.writer.acquire()
    assert result.exit_code == 0, result.output
    assert "1 events moved out of 1 files" in result.output
    assert len(where(soc_store, "stray-event")) == 1
