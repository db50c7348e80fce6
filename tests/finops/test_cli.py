"""``rengo finops ingest`` as a finance officer reads it: every amount with thousands
separators, two decimals and its currency — no Python dict, no float noise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rengo.cli import app

AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})*\.\d{2} [A-Z]{3}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_ingest_prints_a_readable_summary(
    shared_data: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    sample = shared_data / "focus" / "focus_sample_1.0.csv"
    result = CliRunner().invoke(
        app, ["finops", "ingest", str(sample), "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert re.search(f"source total {AMOUNT.pattern}", said), said
    assert re.search(f"lake total {AMOUNT.pattern}", said), said
    assert "{'" not in said  # no dict repr


def test_ingest_into_a_new_data_directory_makes_its_database(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's first command: no `rengo db upgrade` needed before it."""
    monkeypatch.delenv("RENGO_DATABASE_URL", raising=False)
    data = tmp_path / "new"
    sample = shared_data / "focus" / "focus_sample_1.0.csv"
    result = CliRunner().invoke(app, ["finops", "ingest", str(sample), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "stored 1,000 rows" in " ".join(result.output.split())
    assert (data / "rengo.db").exists()
