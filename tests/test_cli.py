"""The rengo command line, run as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from rengo.assets.models import Asset
from rengo.cli import app
from rengo.core.demo_accounts import ROLE_SHORT
from rengo.core.identity import User, token_for_secret
from rengo.core.runtime import Runtime
from rengo.core.settings import load_settings

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory whose state database is ``db_url`` (SQLite or PostgreSQL)."""
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    monkeypatch.setenv("RENGO_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("RENGO_PASSWORD_MEMORY_KIB", "1024")
    return tmp_path / "data"


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_db_upgrade_is_idempotent(data_dir: Path) -> None:
    assert "up to date" in _run("db", "upgrade", "--data-dir", str(data_dir))
    assert "up to date" in _run("db", "upgrade", "--data-dir", str(data_dir))


def test_token_create_prints_the_token_last_and_it_works(data_dir: Path) -> None:
    _run("db", "upgrade", "--data-dir", str(data_dir))
    output = _run(
        "token", "create", "--ward", "131016", "--role", "soc_analyst", "--data-dir", str(data_dir)
    )
    token = output.strip().splitlines()[-1]
    assert token.startswith("rgo_")
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    with runtime.db.session() as session:
        found = token_for_secret(session, token)
        assert found is not None and (found.tenant, found.role) == ("131016", "soc_analyst")
    runtime.close()
    joint = _run(
        "token", "create", "--ward", "joint", "--role", "admin", "--data-dir", str(data_dir)
    )
    assert joint.strip().splitlines()[-1].startswith("rgo_")
    listed = json.loads(_run("token", "list", "--format", "json", "--data-dir", str(data_dir)))
    assert [(t["ward"], t["role"]) for t in listed] == [
        ("131016", "soc_analyst"),
        ("joint", "admin"),
    ]
    assert "revoked" in _run("token", "revoke", "1", "--data-dir", str(data_dir))


def test_bad_input_is_an_error_message_not_a_traceback(data_dir: Path) -> None:
    _run("db", "upgrade", "--data-dir", str(data_dir))
    args = ["token", "create", "--ward", "131017", "--role", "ward_it", "--data-dir", str(data_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "rengo", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "check digit" in result.stderr and "Traceback" not in result.stderr + result.stdout
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "rengo",
            "token",
            "list",
            "--data-dir",
            str(data_dir.parent / "empty"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RENGO_DATABASE_URL": ""},
    )
    assert missing.returncode == 2 and "rengo db upgrade" in missing.stderr


def test_demo_fills_accounts_and_a_register_for_23_wards(data_dir: Path) -> None:
    # Each domain tests its own demo step; here the platform's own two.
    output = _run("demo", "--only", "accounts,assets", "--data-dir", str(data_dir))
    assert "rengo-demo-2026" in output and "joint.admin" in output
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 24 * len(ROLE_SHORT)
        per_ward = dict(
            session.execute(select(Asset.tenant, func.count()).group_by(Asset.tenant)).all()
        )
    runtime.close()
    assert len(per_ward) == 23 and min(per_ward.values()) >= 200
    again = _run("demo", "--only", "accounts,assets", "--data-dir", str(data_dir))
    assert "already present" in again


def test_settings_are_printed_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RENGO_SECRET_KEY", "do-not-print-me")
    output = _run("settings", "--data-dir", str(tmp_path))
    assert "do-not-print-me" not in output
    assert json.loads(output)["secret_key"] == "**********"


def test_wards_lists_all_23() -> None:
    output = _run("wards")
    assert "千代田区" in output and "江戸川区" in output and "131237" in output
