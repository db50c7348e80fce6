"""Where a runner the server starts by itself sends its telemetry."""

from __future__ import annotations

from pathlib import Path

from rengo.core.settings import load_settings
from rengo.drills.settings import DrillsSettings, ingest_url


def test_a_runner_sends_to_the_address_the_server_listens_on(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, port=8123)
    assert ingest_url(settings) == "http://127.0.0.1:8123"
    settings = load_settings(data_dir=tmp_path, host="0.0.0.0", port=9000)
    assert ingest_url(settings) == "http://127.0.0.1:9000"
    settings = load_settings(data_dir=tmp_path, host="::", port=9000)
    assert ingest_url(settings) == "http://[::1]:9000"


def test_the_setting_wins_e_g_a_load_balancer(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, port=8123)
    settings.use(DrillsSettings(ingest_url="https://rengo.example.lg.jp/"))
    assert ingest_url(settings) == "https://rengo.example.lg.jp"
