"""Indicators against every ward's events: one DuckDB join, not a loop over events.

Events are rows of ``rengo.soc.schema.EVENT_SCHEMA`` (the SOC lake's Parquet files, or
any Arrow table of that schema). Their matchable fields are unpivoted into
(event, field, group, key) and hash-joined with the indicator values; address ranges
are a range join on the IPv4 address as an integer. An indicator only matches the
events of wards that may see it (TLP), and values on a warning list never match.

=====================  ==========================================================
indicator kind         event fields
=====================  ==========================================================
ipv4, ipv6             src_ip, dst_ip, device_ip
cidr4                  src_ip, dst_ip, device_ip (range)
domain                 dns_query, the host of url, the domain of email_from —
                       the domain itself or any name under it (c2.evil.example)
url                    url (scheme and host lower-cased, trailing '/' ignored)
email                  email_from, each address of email_to
md5, sha1, sha256      file_hash_md5, file_hash_sha1, file_hash_sha256 (any case)
user_agent             user_agent
=====================  ==========================================================
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
import pyarrow as pa
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from rengo.core.types import TenantCode
from rengo.core.wards import JOINT, ward_codes
from rengo.intel.access import COMMUNITY_LEVELS
from rengo.intel.models import IndicatorValue
from rengo.intel.tlp import TLP

EVENT_COLUMNS = (
    "event_id",
    "time",
    "ward",
    "src_ip",
    "dst_ip",
    "device_ip",
    "dns_query",
    "url",
    "email_from",
    "email_to",
    "file_hash_md5",
    "file_hash_sha1",
    "file_hash_sha256",
    "user_agent",
    "origin",
)
GROUP_OF_KIND = {
    "ipv4": "ip",
    "ipv6": "ip",
    "domain": "domain",
    "url": "url",
    "email": "email",
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "user_agent": "user_agent",
}
HASH_KINDS = frozenset({"md5", "sha1", "sha256"})
"""Compared lower-cased on both sides (the events' ``file_hash_*`` columns in UNPIVOT)."""

INDICATOR_SCHEMA = pa.schema(
    [
        ("stix_id", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("value", pa.string()),
        ("grp", pa.string()),
        ("key", pa.string()),
        ("ward", pa.string()),
        ("tlp", pa.string()),
    ]
)
RANGE_SCHEMA = pa.schema(
    [
        ("stix_id", pa.string()),
        ("name", pa.string()),
        ("value", pa.string()),
        ("lo", pa.int64()),
        ("hi", pa.int64()),
        ("ward", pa.string()),
        ("tlp", pa.string()),
    ]
)

DOMAINS = """
SELECT event_id, time, ward, 'dns_query' AS field, rtrim(lower(dns_query), '.') AS d FROM ev WHERE
dns_query IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'url', lower(regexp_extract(url,
'^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)', 1)) FROM ev WHERE url IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'email_from', split_part(lower(trim(email_from)), '@', 2)
FROM ev WHERE email_from IS NOT NULL
"""
UNPIVOT = f"""
SELECT event_id, time, ward, 'src_ip' AS field, 'ip' AS grp, src_ip AS key FROM ev WHERE src_ip IS
NOT NULL
UNION ALL SELECT event_id, time, ward, 'dst_ip', 'ip', dst_ip FROM ev WHERE dst_ip IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'device_ip', 'ip', device_ip FROM ev WHERE device_ip IS NOT
NULL
UNION ALL SELECT event_id, time, ward, field, 'domain',
    unnest(list_transform(range(1, len(string_split(d, '.'))),
                          lambda i: array_to_string(string_split(d, '.')[i:], '.')))
    FROM ({DOMAINS}) WHERE d <> ''
UNION ALL SELECT event_id, time, ward, 'url', 'url', url_key FROM ev WHERE url IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'email_from', 'email', lower(trim(email_from)) FROM ev
WHERE email_from IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'email_to', 'email',
lower(trim(unnest(string_split(email_to, ',')))) FROM ev WHERE email_to IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'file_hash_md5', 'md5', lower(file_hash_md5) FROM ev WHERE
file_hash_md5 IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'file_hash_sha1', 'sha1', lower(file_hash_sha1) FROM ev
WHERE file_hash_sha1 IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'file_hash_sha256', 'sha256', lower(file_hash_sha256) FROM
ev WHERE file_hash_sha256 IS NOT NULL
UNION ALL SELECT event_id, time, ward, 'user_agent', 'user_agent', user_agent FROM ev WHERE
user_agent IS NOT NULL
"""  # noqa: S608 - relation and column names from code
IP_FIELDS = ("src_ip", "dst_ip", "device_ip")
IPV4_INT = (
    "CASE WHEN regexp_full_match({col}, '\\d{{1,3}}(\\.\\d{{1,3}}){{3}}') THEN "
    "(split_part({col}, '.', 1)::BIGINT << 24) + (split_part({col}, '.', 2)::BIGINT << 16) + "
    "(split_part({col}, '.', 3)::BIGINT << 8) + split_part({col}, '.', 4)::BIGINT END"
)


def url_key(url: str) -> str:
    """How URLs are compared: lower-cased, without a trailing slash."""
    return url.lower().rstrip("/")


URL_KEY_SQL = "rtrim(lower(url), '/')"


@dataclass(frozen=True, slots=True)
class Hit:
    ward: TenantCode
    stix_id: str
    name: str
    kind: str
    value: str
    field: str
    event_id: str
    event_time: datetime
    tlp: str
    origin: str = "real"
    """Of the matched event: a hit in demo or exercise data raises a demo or exercise alert."""


def _wards_for(value: IndicatorValue) -> list[str | None]:
    """The wards whose events this value may match (None: every ward)."""
    if value.private:  # a ward's own, not (yet) shared: its own logs only
        return [value.owner] if value.owner in ward_codes() else []
    if value.tlp in COMMUNITY_LEVELS or (value.tlp == TLP.AMBER.value and value.audience_all):
        return [None]
    if value.tlp == TLP.AMBER.value:
        wards = {w for w in value.audience.strip(",").split(",") if w}
        if value.owner != JOINT:
            wards.add(value.owner)
        return [*sorted(wards)]
    return [value.owner] if value.owner in ward_codes() else []


@dataclass(frozen=True, slots=True)
class IndicatorTables:
    exact: pa.Table
    ranges: pa.Table

    @property
    def size(self) -> int:
        return int(self.exact.num_rows + self.ranges.num_rows)


def indicator_tables(values: Iterable[IndicatorValue]) -> IndicatorTables:
    exact: dict[str, list[str | None]] = {n: [] for n in INDICATOR_SCHEMA.names}
    ranges: dict[str, list[object]] = {n: [] for n in RANGE_SCHEMA.names}
    for value in values:
        for ward in _wards_for(value):
            if value.kind == "cidr4":
                network = ipaddress.IPv4Network(value.value)
                for name, item in zip(
                    RANGE_SCHEMA.names,
                    (
                        value.stix_id,
                        value.name,
                        value.value,
                        int(network.network_address),
                        int(network.broadcast_address),
                        ward,
                        value.tlp,
                    ),
                    strict=True,
                ):
                    ranges[name].append(item)
                continue
            group = GROUP_OF_KIND.get(value.kind)
            if group is None:
                continue  # sha512/cidr6: no event column carries them (yet)
            key = url_key(value.value) if value.kind == "url" else value.value
            if value.kind in HASH_KINDS:
                key = key.lower()
            row = (value.stix_id, value.name, value.kind, value.value, group, key, ward, value.tlp)
            for name, item in zip(INDICATOR_SCHEMA.names, row, strict=True):
                exact[name].append(item)
    return IndicatorTables(
        pa.Table.from_pydict(exact, schema=INDICATOR_SCHEMA),
        pa.Table.from_pydict(ranges, schema=RANGE_SCHEMA),
    )


def live_values(
    session: Session, now: datetime, *, added_since: datetime | None = None
) -> list[IndicatorValue]:
    """Indicator values that may alert now (not warning-listed, not expired)."""
    stmt = select(IndicatorValue).where(
        IndicatorValue.warning.is_(None),
        or_(IndicatorValue.valid_until.is_(None), IndicatorValue.valid_until > now),
    )
    if added_since is not None:
        stmt = stmt.where(IndicatorValue.added_at >= added_since)
    return list(session.scalars(stmt))


def match(
    events: str | pa.Table,
    tables: IndicatorTables,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    params: list[object] | None = None,
    threads: int = 2,
) -> tuple[list[Hit], int]:
    """Hits of the indicators in ``events`` (a DuckDB FROM expression, or an Arrow table).

    Returns the hits (one per ward, indicator, event and field) and the events scanned.
    """
    if tables.size == 0:
        return [], 0
    connection = duckdb.connect(config={"threads": threads})
    try:
        connection.register("ind_exact", tables.exact)
        connection.register("ind_range", tables.ranges)
        if isinstance(events, pa.Table):
            connection.register("arrow_events", events)
            events = "arrow_events"
        conditions, args = [], list(params or [])
        if since is not None:
            conditions.append("time >= ?")
            args.append(since)
        if until is not None:
            conditions.append("time < ?")
            args.append(until)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        columns = ", ".join(c for c in EVENT_COLUMNS)
        connection.execute(
            f"CREATE TEMP TABLE ev AS SELECT {columns}, {URL_KEY_SQL} AS url_key "  # noqa: S608 - relation and column names from code
            f"FROM {events} {where}",
            args,
        )
        scanned = connection.execute("SELECT count(*) FROM ev").fetchone()[0]  # type: ignore[index]
        hits_sql = f"""
        WITH u AS ({UNPIVOT})
        SELECT DISTINCT u.ward, i.stix_id, i.name, i.kind, i.value, u.field, u.event_id, u.time,
        i.tlp
        FROM u JOIN ind_exact i ON i.grp = u.grp AND i.key = u.key
        WHERE i.ward IS NULL OR i.ward = u.ward
        """  # noqa: S608 - relation and column names from code
        rows = connection.execute(hits_sql).fetchall()
        if tables.ranges.num_rows:
            for field in IP_FIELDS:
                range_sql = f"""
                WITH e AS (SELECT event_id, time, ward, {IPV4_INT.format(col=field)} AS n FROM ev
                           WHERE {field} IS NOT NULL)
                SELECT DISTINCT e.ward, r.stix_id, r.name, 'cidr4', r.value, '{field}',
                e.event_id, e.time, r.tlp
                FROM e JOIN ind_range r ON e.n >= r.lo AND e.n <= r.hi
                WHERE r.ward IS NULL OR r.ward = e.ward
                """  # noqa: S608 - relation and column names from code
                rows.extend(connection.execute(range_sql).fetchall())
        origins: dict[str, str] = {}
        if rows:
            connection.register("hit_ids", pa.table({"event_id": sorted({r[6] for r in rows})}))
            origins = dict(
                connection.execute(
                    "SELECT DISTINCT event_id, origin FROM ev SEMI JOIN hit_ids USING (event_id)"
                ).fetchall()
            )
    finally:
        connection.close()
    hits = [Hit(*row) for row in rows]
    hits = [replace(h, origin=origins.get(h.event_id) or "real") for h in hits]
    return hits, int(scanned)
