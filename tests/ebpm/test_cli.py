"""``rengo ebpm training import|staff|roster|remind``, ``rengo ebpm snapshot`` and
``rengo ebpm survey import`` on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from rengo.cli import app
from rengo.core.runtime import Runtime
from rengo.core.settings import load_settings
from rengo.ebpm.models import Completion, Reminder, SurveyResult
from tests.ebpm.test_imports import STAFF, SURVEY, TRAINING

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    return tmp_path / "data"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_training_and_survey_imports(data_dir: Path, tmp_path: Path) -> None:
    hr = tmp_path / "hr.csv"
    hr.write_bytes(TRAINING.encode("cp932"))
    staff = tmp_path / "staff.csv"
    staff.write_text(STAFF, "utf-8")
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY, "utf-8-sig")
    d = str(data_dir)
    assert "4 completions added" in _run("ebpm", "training", "import", str(hr), "--data-dir", d)
    assert "2 departments" in _run("ebpm", "training", "staff", str(staff), "--data-dir", d)
    assert "2 questions (6 rows)" in _run("ebpm", "survey", "import", str(survey), "--data-dir", d)
    roster = tmp_path / "roster.csv"
    roster.write_bytes(
        "職員番号,区,所属,氏名,メール\nA002,131016,総務部,,a2@x.example.test\n"
        "A009,131016,総務部,,a9@x.example.test\n".encode("cp932")
    )
    assert "2 staff added" in _run("ebpm", "training", "roster", str(roster), "--data-dir", d)
    # A002 completed DL-BASIC in TRAINING; A009 did not
    reminded = _run("ebpm", "training", "remind", "--ward", "131016", "--data-dir", d)
    assert "1 reminders queued" in reminded
    assert "0 reminders queued; 1 reminded recently" in _run(
        "ebpm", "training", "remind", "--data-dir", d
    )
    assert "0 actuals stored" in _run("ebpm", "snapshot", "--data-dir", d)
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    try:
        with runtime.db.session() as session:
            assert session.scalar(select(func.count(Completion.id))) == 4
            assert session.scalar(select(func.count(SurveyResult.id))) == 2
            assert session.scalar(select(Reminder.staff_id)) == "A009"
    finally:
        runtime.close()


def test_bad_file_is_reported_by_row_and_column(data_dir: Path, tmp_path: Path) -> None:
    _run("db", "upgrade", "--data-dir", str(data_dir))
    bad = tmp_path / "hr.csv"
    bad.write_bytes((TRAINING + "A9,131016,総務部,DL-BASIC,昨日\n").encode("cp932"))
    command = ["ebpm", "training", "import", str(bad), "--data-dir", str(data_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "rengo", *command], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "hr.csv:6 column 5 (completed_on)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
