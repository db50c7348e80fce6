"""The joint SOC's settings section (``[soc]``, ``RENGO_SOC__*``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

from rengo.core import settings
from rengo.soc.detect import settings as detect_settings  # noqa: F401  (registers [detect])


@settings.section("soc")
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
    nats_url: str | None = Field(
        default_factory=lambda: os.environ.get("RENGO_NATS_URL") or None,
        description="NATS server(s) with JetStream, comma-separated (also RENGO_NATS_URL): "
        "ingest publishes accepted batches there and `rengo soc writer` stores them; "
        "none: the embedded spool and lake writer.",
    )
    nats_stream: str = Field(
        "RENGO_SOC", description="JetStream stream holding the accepted batches."
    )
    nats_subject_prefix: str = Field(
        "rengo.soc.events",
        description="Subject prefix of the stream; each ward publishes to <prefix>.<ward>.",
    )
    nats_replicas: int = Field(
        1, ge=1, le=5, description="Copies of the stream JetStream keeps (3 on a cluster)."
    )
    nats_duplicate_window_seconds: float = Field(
        120.0,
        gt=0,
        description="A batch re-sent within this time (same Nats-Msg-Id) is stored once.",
    )
    nats_publish_timeout_seconds: float = Field(
        5.0,
        gt=0,
        description="How long ingest waits for JetStream to store a batch before it answers "
        "busy (HTTP 503 with Retry-After).",
    )
    nats_durable: str = Field(
        "rengo-lake-writers",
        description="Name of the durable pull consumer every `rengo soc writer` shares.",
    )
    nats_ack_wait_seconds: float = Field(
        60.0,
        gt=0,
        description="A batch a writer fetched but did not acknowledge within this time is "
        "delivered again (to any writer; a batch already stored is not stored twice).",
    )
