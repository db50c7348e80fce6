"""The zone's commands, run as an operator runs them on the server."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from rengo.cli import app
from rengo.core.errors import InvalidInput
from rengo.core.identity import Passwords, create_user
from rengo.core.runtime import Runtime
from rengo.core.settings import load_settings
from rengo.ebpm.zone.models import ZoneDeposit
from tests.ebpm.zone.factories import _zone_objects
from tests.helpers import TEST_PASSWORD, WARD_A

runner = CliRunner()
COLUMNS = {
    "記録番号": {"kind": "link"},
    "氏名": {"kind": "direct"},
    "生年月日": {"kind": "quasi", "hierarchy": "date"},
}


@pytest.fixture
def data_dir(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    monkeypatch.setenv("RENGO_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("RENGO_PASSWORD_MEMORY_KIB", "1024")
    data = tmp_path / "data"
    runtime = Runtime.from_settings(load_settings(data_dir=data))
    with runtime.db.session() as session:
        create_user(
            session,
            Passwords.from_settings(runtime.settings),
            username="chiyoda.owner",
            password=TEST_PASSWORD,
            tenant=WARD_A,
            role="data_owner",
        )
    runtime.close()
    return data


def _deposit(data_dir: Path, tmp_path: Path, text: str, retention: str) -> Result:
    extract = tmp_path / "要支援者名簿.csv"
    extract.write_bytes(text.encode("cp932"))
    columns = tmp_path / "columns.json"
    columns.write_text(json.dumps(COLUMNS, ensure_ascii=False), "utf-8")
    return runner.invoke(
        app,
        [
            "ebpm",
            "deposit",
            str(extract),
            "--ward",
            WARD_A,
            "--domain",
            "disaster",
            "--purpose",
            "避難行動要支援者の避難先の分析",
            "--legal-basis",
            "災害対策基本法 第49条の11",
            "--columns",
            str(columns),
            "--key",
            "記録番号",
            "--retention",
            retention,
            "--user",
            "chiyoda.owner",
            "--data-dir",
            str(data_dir),
        ],
    )


def test_deposit_from_the_command_line_and_expiry(data_dir: Path, tmp_path: Path) -> None:
    good = "記録番号,氏名,生年月日\nA1,山田 花子,昭和20年1月2日\nA2,佐藤 一郎,1944-05-06\n"
    result = _deposit(data_dir, tmp_path, good, "2099-03-31")
    assert result.exit_code == 0, result.output
    assert "2 records sealed" in result.output

    bad = "記録番号,氏名,生年月日\nA1,山田 花子,昭和20年13月2日\n"
    refused = _deposit(data_dir, tmp_path, bad, "2099-03-31")
    assert refused.exit_code != 0
    assert isinstance(refused.exception, InvalidInput)  # `rengo` prints it and exits 2
    assert "要支援者名簿.csv:2 生年月日" in [p.location for p in refused.exception.problems]

    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    with runtime.db.session() as session:
        deposit = session.scalars(select(ZoneDeposit)).one()
        deposit.retention_until = date(2000, 1, 1)
    runtime.close()
    expired = runner.invoke(app, ["ebpm", "zone-expire", "--data-dir", str(data_dir)])
    assert expired.exit_code == 0, expired.output
    assert "1 deposit(s) deleted" in expired.output
    assert not list((data_dir / "files" / "ebpm_zone").glob("deposit-*"))


def test_a_count_table_release_from_the_command_line(data_dir: Path) -> None:
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    linkage_id = _zone_objects(runtime, WARD_A)["linkage_id"]
    with runtime.db.session() as session:
        create_user(
            session,
            Passwords.from_settings(runtime.settings),
            username="chiyoda.analyst",
            password=TEST_PASSWORD,
            tenant=WARD_A,
            role="zone_analyst",
        )
    runtime.close()
    common = ["--title", "年齢別", "--user", "chiyoda.analyst", "--data-dir", str(data_dir)]
    result = runner.invoke(
        app, ["ebpm", "release", "--linkage", str(linkage_id), "--count-by", "年齢:2", *common]
    )
    assert result.exit_code == 0, result.output
    # One person aged 70: a cell of 1, hidden, and its total with it.
    assert "suppressed (primary): 年齢=70-79" in result.output
    assert "suppressed (primary): 年齢=計" in result.output
    alone = runner.invoke(
        app, ["ebpm", "release", "--linkage", str(linkage_id), "--epsilon", "0.5", *common]
    )
    assert alone.exit_code != 0
