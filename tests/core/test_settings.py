"""Settings come from the environment and rengo.toml; secrets never show."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, ValidationError

from rengo.core import settings as settings_module
from rengo.core.settings import Settings, load_settings, section

SECRET = "s3cret-value-that-must-not-leak"
DB_PASSWORD = "db-pass-that-must-not-leak"


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == Path("rengo-data")
    assert settings.host == "127.0.0.1"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'rengo-data' / 'rengo.db'}"
    assert settings.policy.major_incident_people == 10_000
    assert settings.policy.containment_target_hours == 1.0


def test_environment_and_nested_policy_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENGO_DATA_DIR", "/srv/rengo")
    monkeypatch.setenv("RENGO_PORT", "9000")
    monkeypatch.setenv("RENGO_POLICY__MAJOR_INCIDENT_PEOPLE", "5000")
    settings = Settings()
    assert settings.data_dir == Path("/srv/rengo")
    assert settings.port == 9000
    assert settings.policy.major_incident_people == 5000


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "rengo.toml"
    config.write_text('port = 8100\nhost = "127.0.0.2"\n[policy]\ncloud_savings_pct = 20\n')
    monkeypatch.setenv("RENGO_CONFIG", str(config))
    monkeypatch.setenv("RENGO_PORT", "8200")
    settings = Settings()
    assert settings.host == "127.0.0.2"
    assert settings.port == 8200
    assert settings.policy.cloud_savings_pct == 20


def test_cli_overrides_win_and_none_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENGO_PORT", "8300")
    assert load_settings(port=None).port == 8300
    assert load_settings(port=8400).port == 8400


def test_secrets_never_appear_in_repr_dump_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql+psycopg://rengo:{DB_PASSWORD}@127.0.0.1/rengo"
    settings = Settings(secret_key=SECRET, database_url=url)
    for text in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.public_dict()),
    ):
        assert SECRET not in text and DB_PASSWORD not in text
    assert settings.resolved_secret_key() == SECRET
    assert settings.resolved_database_url() == url
    monkeypatch.setenv("RENGO_SECRET_KEY", SECRET)
    with pytest.raises(ValidationError) as error:
        Settings(port="not a port")  # type: ignore[arg-type]
    assert SECRET not in str(error.value)


def test_generated_secret_key_is_kept_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    key = settings.resolved_secret_key()
    key_file = tmp_path / "d" / "secret_key"
    assert len(key) >= 48
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Settings(data_dir=tmp_path / "d").resolved_secret_key() == key


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValidationError, match="default_language"):
        Settings(default_language="fr")


class ExampleSection(BaseModel):
    speed: float = Field(1.0, description="How fast.")
    wards: list[str] = Field(default_factory=list, description="Which wards.")


@pytest.fixture(autouse=True)
def _declared_only_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # A test section must not reach the documentation check of the real ones.
    monkeypatch.setattr(settings_module, "_sections", {})
    section("example_section")(ExampleSection)


def test_domain_sections_read_toml_environment_and_overrides(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "rengo.toml"
    config.write_text('[example_section]\nspeed = 2.5\nwards = ["131016"]\n')
    monkeypatch.setenv("RENGO_CONFIG", str(config))
    assert Settings().section(ExampleSection).speed == 2.5
    monkeypatch.setenv("RENGO_EXAMPLE_SECTION__SPEED", "4")
    monkeypatch.setenv("RENGO_EXAMPLE_SECTION__WARDS", '["131024", "131032"]')
    settings = Settings()
    assert settings.section(ExampleSection).speed == 4.0
    assert settings.section(ExampleSection).wards == ["131024", "131032"]
    assert load_settings(example_section={"speed": 9}).section(ExampleSection).speed == 9.0
    assert settings.public_dict()["example_section"]["speed"] == 4.0


def test_domain_section_defaults_and_errors_name_the_field(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings().section(ExampleSection).speed == 1.0
    monkeypatch.setenv("RENGO_EXAMPLE_SECTION__SPEED", "fast")
    with pytest.raises(ValidationError, match="speed"):
        Settings().section(ExampleSection)
    with pytest.raises(TypeError, match="section"):
        Settings().section(_Undeclared)


class _Undeclared(BaseModel):
    x: int = 1
