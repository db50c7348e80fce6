"""``rengo soc …`` as users run it: ingest a file, then the counts as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rengo.cli import app
from tests.soc import samples

runner = CliRunner()


def test_ingest_then_stats_as_json(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "proxy.log"
    log.write_bytes(b"\n".join([samples.SQUID, b"not a squid line", samples.FORTI_VPN]) + b"\n")
    ingest = runner.invoke(
        app, ["soc", "ingest", "--ward", "千代田区", str(log), "--data-dir", str(data_dir)]
    )
    assert ingest.exit_code == 0, ingest.output
    result = runner.invoke(
        app, ["soc", "stats", "--format", "json", "--days", "400", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["total_events"] == 2 and stats["total_quarantined"] == 1
    assert sorted((row["ward"], row["class_uid"], row["events"]) for row in stats["events"]) == [
        ("131016", 3002, 1),
        ("131016", 4002, 1),
    ]
    assert stats["last_seen"]["131016"] is not None
    [bad] = stats["quarantine"]
    assert bad["ward"] == "131016" and bad["records"] == 1 and "not recognised" in bad["reason"]
