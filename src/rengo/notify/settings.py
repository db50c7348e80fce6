"""The ``[csirt]`` settings section (``RENGO_CSIRT__*``): notification delivery, on-call
paging and the CSIRT's connectors and evidence. It lives with messaging, below the domains,
since notify reads it; the CSIRT re-exports it (``rengo.csirt.settings``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from rengo.core import settings


@settings.section("csirt")
class CsirtSettings(BaseModel):
    """The joint CSIRT: notifications, on-call escalation, containment connectors, evidence."""

    email_transport: Literal["auto", "smtp", "outbox"] = Field(
        "auto",
        description="Where notification e-mail goes: `smtp` (the server below), `outbox` (the "
        "built-in outbox: kept in the notification log and written to the log, not sent), or "
        "`auto`: SMTP once `smtp_host` or `smtp_port` is set, the built-in outbox until then "
        "(a fresh install and the demo).",
    )
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

    def uses_smtp(self) -> bool:
        """Whether e-mail goes over SMTP (else to the built-in outbox)."""
        if self.email_transport != "auto":
            return self.email_transport == "smtp"
        return bool({"smtp_host", "smtp_port"} & self.model_fields_set)
