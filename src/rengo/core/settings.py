"""Settings: environment (``RENGO_*``), an optional ``rengo.toml``, then defaults.

Every threshold the policy paper names is a setting (see ``PolicySettings``), so that
the wards can change a target without a code change. Secrets are ``SecretStr``: they
never appear in ``repr``, logs or error messages.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

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
        description="Trust the provider's own MFA: when true, an SSO login skips rengo's TOTP step.",
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


class AssetSettings(BaseModel):
    confidentiality_levels: list[int] = Field(
        [1, 2, 3], description="機密性 levels of the MIC guideline (3 = most sensitive)."
    )
    integrity_levels: list[int] = Field([1, 2], description="完全性 levels (2 = highest).")
    availability_levels: list[int] = Field([1, 2], description="可用性 levels (2 = highest).")


class DetectSettings(BaseModel):
    """Sigma detection, the alert queue and cross-ward campaigns (docs/soc-detection.md)."""

    rule_folders: list[Path] = Field(
        default_factory=list,
        description="Folders of Sigma rules run besides rengo's municipal pack "
        "(e.g. a SigmaHQ release).",
    )
    builtin_rules: bool = Field(True, description="Run rengo's municipal rule pack.")
    placeholders: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Values of %placeholders% in rules (the expand modifier), by name.",
    )
    campaign_min_wards: int = Field(
        3,
        description="A campaign: the same rule, indicator or source seen in at least this many wards…",
    )
    campaign_window_minutes: int = Field(60, description="…within this many minutes.")
    alert_group_minutes: int = Field(
        60,
        description="Detections of one rule on one host/user/source within this many minutes "
        "join the same open alert.",
    )
    poll_seconds: float = Field(
        5.0, description="How often the incremental detector asks the lake for new events."
    )
    batch_rows: int = Field(
        200_000, description="Events evaluated together (larger: faster, more memory)."
    )
    max_events_per_alert: int = Field(
        1000, description="Matched events kept per alert (the count goes on beyond)."
    )
    workers: int = Field(
        2, ge=1, description="Processes that evaluate rules in parallel (this one included)."
    )
    follow_with_serve: bool = Field(
        False,
        description="Run incremental detection (rengo soc detect --follow) inside rengo serve; "
        "one process per data directory does it.",
    )


class CsirtSettings(BaseModel):
    """The joint CSIRT: notifications, on-call escalation, containment connectors, evidence."""

    smtp_host: str = Field("127.0.0.1", description="SMTP server that sends notification e-mail.")
    smtp_port: int = Field(25, description="Port of the SMTP server.")
    smtp_from: str = Field(
        "rengo-csirt@localhost", description="Sender address of notification e-mail."
    )
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP login name (none: no login).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(10.0, description="Give up on an SMTP exchange after this.")
    webhook_timeout_seconds: float = Field(
        5.0, description="Give up on one webhook call (notification or action) after this."
    )
    webhook_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Named HMAC keys for signed webhooks; connectors and teams refer to a key "
        "by name (RENGO_CSIRT__WEBHOOK_SECRETS__<NAME>), so that no key is stored in the database.",
    )
    delivery_attempts: int = Field(
        4, description="Tries per notification delivery before it is marked failed."
    )
    delivery_backoff_seconds: float = Field(
        30.0, description="Wait before the first retry of a delivery; doubles on each retry."
    )
    action_attempts: int = Field(
        3,
        description="Calls to a ward's endpoint per containment action before it fails (network "
        "errors, time-outs and 5xx are tried again; a 4xx answer is final).",
    )
    action_backoff_seconds: float = Field(
        0.5, description="Wait before the worker tries an action again (doubles each time)."
    )
    disruptive_actions: list[str] = Field(
        ["isolate_host", "disable_account", "quarantine_mail"],
        description="Containment action kinds that need approval by a second person.",
    )
    simulated_connectors: Literal["demo_only", "marked"] = Field(
        "demo_only",
        description="The simulated ward endpoint is a test double: `demo_only` lets it act "
        "for demo and exercise incidents only (a real incident's action through it fails); "
        "`marked` lets it act for real incidents too, every such action recorded as simulated "
        "and never counted as containment (no `contained_at`, out of MTTC and the targets).",
    )
    escalation_ack_minutes: int = Field(
        15, description="Default: a page not acknowledged within this many minutes escalates."
    )
    page_min_severity: str = Field(
        "high", description="Incidents of this severity or worse page the on-call teams."
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base of links in notifications (acknowledge, view)."
    )
    evidence_max_mb: int = Field(200, description="Largest evidence file accepted, in MB.")
    worker_interval_seconds: float = Field(
        15.0,
        description="The web server's CSIRT worker runs this often (and at once when a request "
        "queues an action or a page): containment actions, escalations, notifier hooks, due "
        "notifications. 0 turns it off; `rengo csirt worker` can run it instead.",
    )


class SocSettings(BaseModel):
    """Joint SOC log collection: spool, lake, syslog listener, search."""

    retention_days: int = Field(400, description="Days of events kept in the lake, by default.")
    retention_days_by_ward: dict[str, int] = Field(
        default_factory=dict, description="Retention in days per ward code, where it differs."
    )
    silent_ward_hours: float = Field(
        6.0, description="A ward that sent no event for this long is flagged as silent."
    )
    spool_max_bytes: int = Field(
        1 << 30,
        description="Accepted bytes the lake writer may be behind before ingest pushes back "
        "(HTTP 503 with Retry-After, TCP syslog stops reading).",
    )
    spool_segment_bytes: int = Field(64 << 20, description="Size of one spool segment file.")
    writer_chunk_bytes: int = Field(
        8 << 20, description="Spooled bytes the lake writer stores in one commit, at most."
    )
    writer_processes: int = Field(
        2,
        ge=0,
        description="Worker processes the lake writer parses big chunks with (0: parse in "
        "the writer's own thread).",
    )
    compact_min_files: int = Field(
        8, description="Files in one partition of today that trigger a compaction."
    )
    compact_every_seconds: float = Field(
        300.0, description="How often the lake writer compacts and applies retention."
    )
    compact_memory_mb: int = Field(
        256,
        ge=64,
        description="Memory a compaction sorts a past day's events in, in MiB (larger days "
        "are sorted a slice at a time; the upkeep's peak is about 3-4 times this).",
    )
    http_max_body_bytes: int = Field(
        64 << 20,
        gt=0,
        description="Largest HTTP ingest body accepted, as sent and after gunzip (larger: "
        "HTTP 413, read and decompressed only up to this).",
    )
    max_record_bytes: int = Field(
        4 << 20,
        gt=0,
        description="Largest single record (log line, JSON object, EVTX record rendered as "
        "JSON): HTTP ingest refuses a body holding a larger one (422, naming the record); "
        "from other inputs it is quarantined.",
    )
    max_json_depth: int = Field(
        64,
        ge=1,
        le=500,
        description="Deepest nesting of arrays and objects a JSON record may have (refused "
        "or quarantined like max_record_bytes).",
    )
    writer_stall_seconds: float = Field(
        120.0,
        gt=0,
        description="Records waiting this long with no lake commit make /readyz answer 503 "
        "and raise a joint alert (the lake writer is stuck or far behind).",
    )
    health_check_seconds: float = Field(
        30.0,
        gt=0,
        description="How often rengo serve checks the lake writer (and alerts when behind).",
    )
    syslog_enabled: bool = Field(False, description="Start the syslog listener with rengo serve.")
    syslog_host: str = Field("127.0.0.1", description="Address the syslog listener binds.")
    syslog_udp_port: int | None = Field(5514, description="UDP syslog port (none: off).")
    syslog_tcp_port: int | None = Field(
        5514, description="TCP syslog port, octet-counting or newline framing (none: off)."
    )
    syslog_tls_port: int | None = Field(None, description="TLS syslog port (RFC 5425; none: off).")
    syslog_tls_cert: Path | None = Field(None, description="PEM certificate for TLS syslog.")
    syslog_tls_key: Path | None = Field(None, description="PEM private key for TLS syslog.")
    syslog_ward_map: Path | None = Field(
        None,
        description="File mapping sender addresses/networks (CIDR) or hostnames to ward codes; "
        "see docs/soc.md.",
    )
    syslog_flush_ms: int = Field(
        200, description="Syslog messages are spooled (fsync) at least this often."
    )
    search_page_size: int = Field(50, description="Events per page in search results.")


class FinopsSettings(BaseModel):
    """Cost lake, allocation, anomaly detection, forecasts and savings (measure 2)."""

    currency: str = Field(
        "JPY", description="Reporting currency: every cost is also shown converted into it."
    )
    fiscal_year_start_month: int = Field(
        4, ge=1, le=12, description="First month of the fiscal year (Japan: April)."
    )
    anomaly_min_history_days: int = Field(
        28, ge=7, description="Days of history a series needs before its days are scored."
    )
    anomaly_window_days: int = Field(
        56, ge=14, description="Days of history the expected daily cost is computed from."
    )
    anomaly_floor: float = Field(
        5_000.0,
        ge=0,
        description="Absolute floor: a day must exceed its expected cost by at "
        "least this much (reporting currency) to be an anomaly.",
    )
    anomaly_relative: float = Field(
        0.5,
        ge=0,
        description="Relative threshold: excess over the expected cost, as a "
        "fraction of it (0.5 = +50 %).",
    )
    anomaly_robust_z: float = Field(
        4.0, ge=0, description="Excess over the expected cost in robust standard deviations."
    )
    anomaly_latency_days: int = Field(
        2, ge=0, description="Late-arriving data: the newest days scored are D minus this."
    )
    level_shift_days: int = Field(
        7, ge=3, description="A new cost level must hold this many days to count as a shift."
    )
    forecast_interval: float = Field(
        0.8, gt=0, lt=1, description="Coverage of forecast intervals (0.8 = 80 % interval)."
    )
    idle_usage_max: float = Field(
        0.0, ge=0, description="Usage-based quantity at or below which a costing resource is idle."
    )
    rightsizing_cpu_max_pct: float = Field(
        20.0, description="Average CPU (x_CpuUtilization) below which a VM is oversized."
    )
    commitment_discount_rate: float = Field(
        0.3, ge=0, lt=1, description="Assumed saving of a 1-year commitment over on-demand."
    )
    commitment_target_coverage: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Commitment coverage of steady compute below which we advise buying.",
    )
    storage_tiering_saving: float = Field(
        0.45, ge=0, lt=1, description="Saving of moving cold storage to an infrequent-access tier."
    )
    business_hours_per_week: float = Field(
        60.0, gt=0, le=168, description="Hours a week non-production resources need to run."
    )
    recommendation_min_monthly_saving: float = Field(
        1_000.0, ge=0, description="Recommendations saving less than this a month are not raised."
    )
    demo_months: int = Field(
        24, ge=3, le=60, description="Months of cost data `rengo demo` generates."
    )
    demo_wards: int = Field(
        23, ge=1, le=23, description="How many wards (in code order) `rengo demo` gives costs."
    )


class IntelSettings(BaseModel):
    """The threat-intelligence hub (STIX 2.1 / TAXII 2.1, TLP 2.0)."""

    retro_hunt_days: int = Field(
        90, description="A new indicator is hunted in this many past days of every ward's events."
    )
    taxii_page_max: int = Field(
        1000, description="Most objects a TAXII page returns, whatever limit the client asks for."
    )
    taxii_max_content_length: int = Field(
        104_857_600, description="Largest TAXII request body accepted, in bytes."
    )
    joint_identity_name: str = Field(
        "特別区共同脅威情報共有センター (Tokyo Special Wards Joint Threat Intelligence Centre)",
        description="Name of the joint centre's STIX identity; it replaces every submitter.",
    )
    feed_default_tlp: str = Field(
        "green", description="TLP given to imported objects that carry no TLP marking."
    )
    feed_poll_seconds: float = Field(
        60.0, description="How often the web server checks whether a feed is due to be pulled."
    )
    feed_scheduler: bool = Field(
        True,
        description="Pull scheduled feeds and match new events in the web server's background.",
    )
    match_poll_seconds: float = Field(
        10.0, description="How often new events in the SOC lake are matched against indicators."
    )
    warning_domains: list[str] = Field(
        [],
        description="Extra known-benign domains (and their sub-domains) that never alert, "
        "besides the packaged popular domains and the wards' own domains.",
    )
    warning_networks: list[str] = Field(
        [], description="Extra known-benign CIDR ranges that never alert, besides private ranges."
    )
    publish_target_hours: float = Field(
        24.0, description="Target: hours from a ward's submission to its publication, at most."
    )
    advisory_applied_target_pct: float = Field(
        100.0, description="Target: share of wards that applied each advisory's countermeasure."
    )


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
    assets: AssetSettings = Field(default_factory=AssetSettings)
    detect: DetectSettings = Field(default_factory=DetectSettings)
    soc: SocSettings = Field(default_factory=SocSettings)
    finops: FinopsSettings = Field(default_factory=FinopsSettings)
    csirt: CsirtSettings = Field(default_factory=CsirtSettings)
    intel: IntelSettings = Field(default_factory=IntelSettings)

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
