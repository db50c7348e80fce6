"""Issue 10 item 7: a truncated or damaged EVTX file never reads as a shorter intact one.

The issue's case: the first 34,816 of the 69,632 bytes of a file whose two records lie
at 4,608–7,384 used to give "0 records … 0 quarantined", exit 0, file marked ingested.
Now both records are recovered; a file cut inside a record stores what is intact,
quarantines the lost record with the reason, exits 1 and is not marked ingested.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rengo.cli import app
from rengo.soc.detect.evtx_input import evtx_table
from rengo.soc.files import MANIFEST
from rengo.soc.parsers.evtx_file import read_evtx

runner = CliRunner()
SAMPLE = "Defense Evasion/Win_4985_T1186_Process_Doppelganging.evtx"


def _cut(evtx_samples: Path, tmp_path: Path, size: int) -> Path:
    data = (evtx_samples / SAMPLE).read_bytes()
    assert len(data) == 69_632
    path = tmp_path / f"cut-{size}.evtx"
    path.write_bytes(data[:size])
    return path


def _ingest(path: Path, data_dir: Path) -> tuple[int, str, dict[str, object]]:
    result = runner.invoke(
        app, ["soc", "ingest", "--ward", "131016", str(path), "--data-dir", str(data_dir)]
    )
    stats = runner.invoke(
        app, ["soc", "stats", "--format", "json", "--days", "9999", "--data-dir", str(data_dir)]
    )
    return result.exit_code, result.output, json.loads(stats.output)


def test_the_issues_truncated_file_gives_its_two_records(
    evtx_samples: Path, tmp_path: Path
) -> None:
    path = _cut(evtx_samples, tmp_path, 34_816)
    records = list(read_evtx(path))
    assert [(r.number, r.error) for r in records] == [(1, None), (2, None)]
    code, output, stats = _ingest(path, tmp_path / "data")
    assert code == 0, output
    assert "1 files, 2 records: 2 events stored, 0 quarantined" in output
    assert stats["total_events"] == 2
    assert "cut-34816" in (tmp_path / "data" / "lake" / "soc" / MANIFEST).read_text()
    # The detection path reads with the same loop: the same two records.
    assert evtx_table([path]).num_rows == 2


def test_a_file_cut_inside_a_record_quarantines_it_and_exits_1(
    evtx_samples: Path, tmp_path: Path
) -> None:
    path = _cut(evtx_samples, tmp_path, 6_000)  # record 2 ends at 7,384
    data_dir = tmp_path / "data"
    code, output, stats = _ingest(path, data_dir)
    assert code == 1, output
    assert "1 events stored, 1 quarantined" in output
    assert "EVTX record 2 lost, file of 6000 bytes" in output
    assert "1 records lost" in output
    assert stats["total_events"] == 1 and stats["total_quarantined"] == 1
    [lost] = stats["quarantine"]
    assert "EVTX record 2 lost" in lost["reason"]
    manifest = data_dir / "lake" / "soc" / MANIFEST
    assert "cut-6000" not in (manifest.read_text() if manifest.exists() else "")
    assert evtx_table([path]).num_rows == 1
