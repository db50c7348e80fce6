"""The demo leaves the zone as a privacy officer would find it on a Monday: two approved
registers of 世田谷区, linked, and a release waiting for their decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from rengo.cli import app
from rengo.core.runtime import Runtime
from rengo.core.settings import load_settings
from rengo.ebpm.zone.models import ZoneDeposit, ZoneLinkage, ZoneRelease

runner = CliRunner()


def test_demo_zone(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENGO_DATABASE_URL", db_url)
    monkeypatch.setenv("RENGO_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("RENGO_PASSWORD_MEMORY_KIB", "1024")
    data_dir = tmp_path / "data"
    result = runner.invoke(
        app, ["demo", "--only", "accounts,ebpm_zone", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "rengo-zone.key").stat().st_mode & 0o777 == 0o600
    runtime = Runtime.from_settings(load_settings(data_dir=data_dir))
    with runtime.db.session() as session:
        assert [d.status for d in session.scalars(select(ZoneDeposit))] == ["approved", "approved"]
        linkage = session.scalars(select(ZoneLinkage)).one()
        assert linkage.links > 100
        release = session.scalars(select(ZoneRelease)).one()
        assert release.status == "pending" and release.report["k_achieved"] >= 5
    runtime.close()
