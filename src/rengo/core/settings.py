"""Settings: environment (``RENGO_*``), an optional ``rengo.toml``, then defaults.

Every threshold the policy paper names is a setting (see ``PolicySettings``), so that
the wards can change a target without a code change. Secrets are ``SecretStr``: they
never appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

import orjson
from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "RENGO_CONFIG"
DEFAULT_CONFIG_FILE = "rengo.toml"
ENV_PREFIX = "RENGO_"
NESTED = "__"

SectionT = TypeVar("SectionT", bound=BaseModel)
_sections: dict[str, type[BaseModel]] = {}


def section(name: str) -> Callable[[type[SectionT]], type[SectionT]]:
    """Declare a domain's settings group: ``[name]`` in rengo.toml, ``RENGO_<NAME>__*``.

    A domain keeps its settings in its own ``settings.py`` (core imports no domain)::

        @section("drills")
        class DrillsSettings(BaseModel):
            speed: float = Field(1.0, description="...")

    and reads them with ``settings.section(DrillsSettings)``.
    """

    def register(model: type[SectionT]) -> type[SectionT]:
        existing = _sections.get(name)
        if existing is not None and existing.__qualname__ != model.__qualname__:
            raise ValueError(f"settings section {name!r} declared twice")
        _sections[name] = model
        model._settings_section = name  # type: ignore[attr-defined]
        return model

    return register


def sections() -> dict[str, type[BaseModel]]:
    """Every declared domain section, by name (after ``rengo.domains.load_domains``)."""
    return dict(sorted(_sections.items()))


def _section_name(model: type[BaseModel]) -> str:
    name = getattr(model, "_settings_section", None)
    if not isinstance(name, str):
        raise TypeError(f"{model.__name__} is not a settings section: decorate it with section()")
    return name


def _env_value(raw: str) -> Any:
    """Lists and tables may be given as JSON; everything else is left to the model."""
    if raw[:1] in ("[", "{"):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return raw
    return raw


class _SectionEnvironment(PydanticBaseSettingsSource):
    """``RENGO_<SECTION>__<FIELD>[__<SUB>]`` for groups that are not fields of ``Settings``
    (the domains' own sections): kept for ``Settings.section`` to validate."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        own = {name.upper() for name in self.settings_cls.model_fields}
        found: dict[str, Any] = {}
        for key, raw in os.environ.items():
            upper = key.upper()
            if not upper.startswith(ENV_PREFIX) or NESTED not in upper:
                continue
            path = upper[len(ENV_PREFIX) :].lower().split(NESTED)
            if path[0].upper() in own or not all(path):
                continue
            node = found
            for part in path[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
            else:
                node[path[-1]] = _env_value(raw)
        return found


class PolicySettings(BaseModel):
    """The policy's thresholds (seed paper; ../shared/reference/README.md)."""

    major_incident_people: int = Field(
        10_000, description="Personal data of at least this many people leaked = major incident."
    )
    major_incident_outage_hours: float = Field(
        24.0, description="A core system down at least this long = major incident."
    )
    containment_target_hours: float = Field(
        1.0, description="KSI: mean time from detection to first containment, at most."
    )
    security_cost_reduction_pct: float = Field(
        30.0, description="KPI: joint security cost per resident below each ward alone, at least."
    )
    exercises_live_per_year: int = Field(1, description="KPI: live cyber exercises a year.")
    exercises_tabletop_per_year: int = Field(1, description="KPI: tabletop exercises a year.")
    operating_cost_growth_cap_pct: float = Field(
        30.0, description="KGI: post-migration operating cost above the old systems, at most."
    )
    cloud_savings_pct: float = Field(
        15.0, description="KPI: cloud bill optimised a year, at least."
    )
    bpr_renewal_share_pct: float = Field(
        80.0, description="KSI: core business systems renewed after a BPR, at least."
    )
    policy_outcome_growth_pct: float = Field(
        20.0, description="KGI: key policy outcomes improved over 5 years, at least."
    )
    logic_model_share_pct: float = Field(
        50.0, description="KSI: new policies evaluated with a logic model, at least."
    )
    open_apps_per_year: int = Field(20, description="KPI: new services/apps from open data a year.")
    open_datasets_target: int = Field(1_000, description="KPI: datasets on the portal in 3 years.")
    staff_trained_pct: float = Field(100.0, description="KPI: staff who completed data training.")
    assets_classified_pct: float = Field(
        100.0, description="KPI: information assets with a complete MIC classification."
    )


class WebSettings(BaseModel):
    session_hours: float = Field(12.0, description="A login session lasts this long.")
    login_max_failures: int = Field(
        5,
        description="Failed logins for one account from one address before each further "
        "try from there waits (1 s, 2 s, 4 s, … up to login_lockout_minutes).",
    )
    login_lockout_minutes: int = Field(
        15, description="The longest a throttled login waits (the backoff's cap)."
    )
    secure_cookies: bool | None = Field(
        None,
        description="Mark cookies Secure. Unset: whenever the request came over HTTPS or "
        "csirt.public_base_url is https; true/false overrides.",
    )
    targets_cache_seconds: float = Field(
        30.0, description="How long computed target values are reused before recomputing."
    )
    warm_targets: bool = Field(
        True, description="Compute every target in the background when the server starts."
    )
    max_body_bytes: int = Field(
        64 << 20,
        gt=0,
        description="Largest request body of any route without a limit of its own (SOC "
        "ingest and TAXII have theirs); larger bodies are cut off as they arrive: HTTP 413.",
    )


class OidcSettings(BaseModel):
    """OpenID Connect login (government SSO) beside local accounts (docs/core.md)."""

    enabled: bool = Field(False, description="Offer 'log in with SSO' on the login page.")
    label: str = Field("Government SSO", description="Name of the provider on the login button.")
    discovery_url: str = Field(
        "",
        description="The provider's /.well-known/openid-configuration URL (its issuer must "
        "match the id token's iss).",
    )
    client_id: str = Field("", description="rengo's client id at the provider.")
    client_secret: SecretStr | None = Field(
        None, description="rengo's client secret at the provider (never shown)."
    )
    scope: str = Field("openid profile email", description="Scopes asked for.")
    claim: str = Field(
        "preferred_username",
        description="The id token claim whose value names the rengo account.",
    )
    match: Literal["username", "email"] = Field(
        "username",
        description="Which account field the claim is compared with (the account must exist "
        "and be active; SSO never creates accounts).",
    )
    satisfies_mfa: bool = Field(
        False,
        description="Trust the provider's own MFA: when true, an SSO login skips rengo's "
        "TOTP step.",
    )
    redirect_url: str = Field(
        "",
        description="The callback URL registered at the provider; empty: "
        "<this server>/login/oidc/callback as the request reached it.",
    )
    timeout_seconds: float = Field(10.0, description="Timeout of calls to the provider.")


class AuthSettings(BaseModel):
    """Password policy, multi-factor authentication and login throttling."""

    password_min_length: int = Field(
        10, ge=8, le=64, description="Shortest password accepted (NIST SP 800-63B: 8 or more)."
    )
    password_min_score: int = Field(
        3,
        ge=0,
        le=4,
        description="Least zxcvbn strength score (0-4) a new password needs; common, "
        "repeated and sequential passwords score 0-1.",
    )
    mfa_required: bool = Field(
        True,
        description="Administrators of every ward and every account of the joint centre must "
        "log in with a TOTP code; without one they are sent to enrolment first.",
    )
    mfa_issuer: str = Field("rengo", description="Issuer shown in authenticator apps.")
    account_max_failures: int = Field(
        20,
        description="Failed logins for one account from all addresses before tries from "
        "addresses where it never logged in wait (with exponential backoff).",
    )
    source_max_accounts: int = Field(
        20,
        description="Accounts failing from one address before that address's tries on "
        "accounts that never logged in from it wait (password spraying).",
    )
    backoff_seconds: float = Field(
        1.0, description="First wait of a throttled login; each further failure doubles it."
    )
    failure_window_hours: int = Field(
        24,
        description="Failed logins are counted over this many hours (a success of the account "
        "from the same address clears its count).",
    )
    trusted_source_days: int = Field(
        30,
        description="An address where an account logged in successfully within this many days "
        "is not slowed by failures elsewhere (no lockout by a stranger).",
    )
    oidc: OidcSettings = Field(default_factory=OidcSettings)


class Settings(BaseSettings):
    """All of rengo's settings. ``rengo settings`` prints them (secrets masked)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED,
        # Groups that are not fields here are the domains' sections (``section``),
        # validated when the domain asks for them.
        extra="allow",
        validate_default=True,
    )
    _section_cache: dict[str, BaseModel] = PrivateAttr(default_factory=dict)

    data_dir: Path = Field(Path("rengo-data"), description="Where all state and the lake live.")
    database_url: SecretStr | None = Field(
        None,
        description="SQLAlchemy URL; default a SQLite file in the data directory. "
        "postgresql+psycopg://… for PostgreSQL.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs sessions and links. Default: generated once into "
        "<data_dir>/secret_key (mode 0600).",
    )
    audit_key_file: Path | None = Field(
        None,
        description="The key of the audit log's HMAC chain, kept outside the database; made "
        "on first use (mode 0600). Default <data_dir>/audit.key. Servers sharing one "
        "database must share this file; keep a copy off the box.",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, description="Port the web server listens on.")
    default_language: str = Field("ja", description="UI language when the user chose none.")
    password_time_cost: int = Field(3, description="argon2 time cost for password hashes.")
    password_memory_kib: int = Field(65536, description="argon2 memory cost (KiB).")
    policy: PolicySettings = Field(default_factory=PolicySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    @field_validator("database_url", "secret_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("ja", "en"):
            raise ValueError("default_language must be 'ja' or 'en'")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            env_settings,
            _SectionEnvironment(settings_cls),
        ]
        if toml_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_path))
        return tuple(sources)

    # -- domain sections --------------------------------------------------------------

    def section(self, model: type[SectionT]) -> SectionT:
        """The domain section ``model`` (declared with ``section``), validated once."""
        name = _section_name(model)
        cached = self._section_cache.get(name)
        if cached is None:
            raw = (self.model_extra or {}).get(name, {})
            if isinstance(raw, BaseModel):
                raw = raw.model_dump()
            cached = self._section_cache[name] = model.model_validate(raw)
        assert isinstance(cached, model)
        return cached

    def use(self, value: BaseModel) -> None:
        """Put a section's value in place (a command or a test overriding it)."""
        self._section_cache[_section_name(type(value))] = value

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; sections in ``update`` are validated afresh when asked for."""
        copied = super().model_copy(update=update, deep=deep)
        copied._section_cache = {
            k: v for k, v in self._section_cache.items() if k not in (update or {})
        }
        return copied

    # -- derived values -------------------------------------------------------------

    def resolved_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.data_dir.resolve() / 'rengo.db'}"

    def resolved_audit_key_file(self) -> Path:
        return self.audit_key_file or self.data_dir / "audit.key"

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = self.data_dir / "secret_key"
        if key_file.is_file():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    def public_dict(self) -> dict[str, Any]:
        """Settings as a dict with secrets masked (for ``rengo settings`` and logs)."""
        data = self.model_dump(mode="json")
        for name in list(data):
            if name in (self.model_extra or {}):
                del data[name]  # shown below, validated, when declared
        for name, model in sections().items():
            data[name] = self.section(model).model_dump(mode="json")
        for name in ("database_url", "secret_key"):
            if data.get(name) is not None:
                data[name] = "**********"
        return data


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and ``rengo.toml``; ``overrides`` win (CLI options)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
