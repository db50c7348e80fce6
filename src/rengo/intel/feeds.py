"""Import feeds: files and URLs (STIX, MISP, CSV) once, or pulled on a schedule (TAXII 2.1 too).

Objects are ingested in batches (each batch one transaction), deduplicated (a version
already stored, or a value already known as an indicator, is counted and skipped), and
every rejected record is kept in the quarantine with its place and reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core.db import Database
from rengo.core.errors import InvalidInput, NotFound, Problem
from rengo.core.permissions import SYSTEM, Principal, require
from rengo.core.settings import Settings
from rengo.intel import bulletins, formats
from rengo.intel.collections import FEEDS
from rengo.intel.ingest import ingest
from rengo.intel.models import Feed, IntelCollection, IntelObject, QuarantinedRecord
from rengo.intel.settings import IntelSettings
from rengo.intel.tlp import TLP, parse_level

BATCH = 5000
TAXII_ACCEPT = "application/taxii+json;version=2.1"
FeedKind = Literal["taxii", "misp", "csv", "stix", "rss", "kev"]
FEED_KINDS: tuple[str, ...] = get_args(FeedKind)
ImportFormat = Literal["auto", "stix", "misp", "csv", "rss", "kev"]


@dataclass(slots=True)
class ImportReport:
    source: str
    received: int = 0
    added: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)

    def merge(self, other: ImportReport) -> None:
        self.received += other.received
        self.added += other.added
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.problems.extend(other.problems[: max(0, 50 - len(self.problems))])


def _quarantine(
    session: Session, source: str, entries: list[tuple[str, str, str]], now: datetime
) -> None:
    session.add_all(
        QuarantinedRecord(
            received_at=now,
            tenant="joint",
            source=source[:200],
            location=loc[:300],
            reason=reason,
            raw=raw,
        )
        for loc, reason, raw in entries
    )


def _known_ids(session: Session, collection_id: str, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(
            session.scalars(
                select(IntelObject.stix_id).where(
                    IntelObject.collection_id == collection_id,
                    IntelObject.stix_id.in_(ids[start : start + 500]),
                )
            )
        )
    return known


def import_parsed(
    db: Database,
    settings: Settings,
    principal: Principal,
    parsed: formats.Parsed,
    *,
    source: str,
    now: datetime,
    default_tlp: TLP,
    collection_id: str = FEEDS,
    skip_known: bool = False,
    client: str = "",
) -> ImportReport:
    """Ingest parsed objects in batches; quarantine what was rejected."""
    report = ImportReport(source, received=len(parsed.objects) + len(parsed.problems))
    with db.session() as session:
        if parsed.problems:
            _quarantine(
                session, source, [(p.location, p.message, raw) for p, raw in parsed.problems], now
            )
            report.rejected += len(parsed.problems)
            report.problems.extend(str(p) for p, _ in parsed.problems[:50])
    for batch in formats.chunks(parsed.objects, BATCH):
        with db.session() as session:
            collection = session.get(IntelCollection, collection_id)
            if collection is None:
                raise NotFound(f"no collection {collection_id}")
            if skip_known:
                known = _known_ids(
                    session,
                    collection_id,
                    [o["id"] for o in batch if isinstance(o, dict) and "id" in o],
                )
                report.duplicates += sum(
                    1 for o in batch if isinstance(o, dict) and o.get("id") in known
                )
                batch = [o for o in batch if not (isinstance(o, dict) and o.get("id") in known)]
            result = ingest(
                session,
                settings,
                principal,
                collection,
                batch,
                now=now,
                source=source[:64],
                default_tlp=default_tlp,
                client=client,
            )
            report.added += len(result.added)
            report.duplicates += len(result.successes) - len(result.added)
            if result.failures:
                report.rejected += len(result.failures)
                report.problems.extend(f["message"] for f in result.failures[:50])
                raw = {o.get("id"): o for o in batch if isinstance(o, dict)}
                _quarantine(
                    session,
                    source,
                    [
                        (
                            f["id"] or source,
                            f["message"],
                            json.dumps(raw.get(f["id"], ""), ensure_ascii=False)[:20_000],
                        )
                        for f in result.failures
                    ],
                    now,
                )
    return report


def _level(value: str | None, settings: Settings) -> TLP:
    try:
        return parse_level(value or settings.section(IntelSettings).feed_default_tlp)
    except ValueError as exc:
        raise InvalidInput("unknown TLP level", [Problem(str(exc), "field tlp")]) from None


def parse_bytes(data: bytes, name: str, fmt: str, level: TLP, now: datetime) -> formats.Parsed:
    fmt = formats.sniff(data, name) if fmt == "auto" else fmt
    if fmt == "stix":
        return formats.parse_stix(data, name)
    if fmt == "misp":
        return formats.parse_misp(data, name, level)
    if fmt == "csv":
        return formats.parse_csv(data, name, level, now)
    if fmt == "rss":
        publisher = urlsplit(name).hostname or Path(name).name
        return bulletins.parse_rss(data, name, publisher, level, now)
    if fmt == "kev":
        return bulletins.parse_kev(data, name, level, now)
    raise InvalidInput("unknown format", [Problem("auto, stix, misp, csv, rss or kev", "format")])


def import_bytes(
    db: Database,
    settings: Settings,
    principal: Principal,
    data: bytes,
    name: str,
    *,
    fmt: str = "auto",
    tlp: str | None = None,
    now: datetime,
    client: str = "",
) -> ImportReport:
    require(principal, "intel.feeds.manage")
    level = _level(tlp, settings)
    kind = formats.sniff(data, name) if fmt == "auto" else fmt
    parsed = parse_bytes(data, name, kind, level, now)
    return import_parsed(
        db,
        settings,
        principal,
        parsed,
        source=f"import:{name}",
        now=now,
        default_tlp=level,
        skip_known=kind in ("csv", "misp"),
        client=client,
    )


def _fetch(client: httpx.Client, url: str) -> bytes:
    response = client.get(url, timeout=60, follow_redirects=True)
    response.raise_for_status()
    return response.content


def import_location(
    db: Database,
    settings: Settings,
    principal: Principal,
    location: str,
    *,
    fmt: str = "auto",
    tlp: str | None = None,
    now: datetime,
    http: httpx.Client | None = None,
) -> ImportReport:
    """Import a file, a folder holding a MISP feed (manifest.json), or the same at a URL."""
    require(principal, "intel.feeds.manage")
    remote = location.startswith(("http://", "https://"))
    client = http or httpx.Client()
    try:

        def read(name: str) -> bytes:
            if remote:
                return _fetch(client, location.rstrip("/") + "/" + name if name else location)
            return (Path(location) / name).read_bytes() if name else Path(location).read_bytes()

        is_misp_feed = (
            (location.endswith("/") or fmt == "misp") if remote else Path(location).is_dir()
        )
        if is_misp_feed:
            level = _level(tlp, settings)
            report = ImportReport(location)
            for event_uuid in formats.misp_manifest(read("manifest.json"), location):
                parsed = formats.parse_misp(
                    read(f"{event_uuid}.json"), f"{location} {event_uuid}", level
                )
                report.merge(
                    import_parsed(
                        db,
                        settings,
                        principal,
                        parsed,
                        source=f"misp:{location}"[:64],
                        now=now,
                        default_tlp=level,
                        skip_known=True,
                    )
                )
            return report
        return import_bytes(db, settings, principal, read(""), location, fmt=fmt, tlp=tlp, now=now)
    finally:
        if http is None:
            client.close()


# -- scheduled feeds --------------------------------------------------------------------


def _auth(feed: Feed) -> httpx.Auth | None:
    secret = os.environ.get(feed.secret_env, "") if feed.secret_env else ""
    if not secret:
        return None
    return httpx.BasicAuth(feed.username or "rengo", secret)


def pull_taxii(
    db: Database, settings: Settings, feed: Feed, now: datetime, http: httpx.Client
) -> ImportReport:
    """Objects added to a remote TAXII 2.1 collection since the last pull (added_after)."""
    url = feed.url.rstrip("/") + f"/collections/{feed.collection}/objects/"
    level = parse_level(feed.default_tlp)
    params: dict[str, str] = {"limit": "1000"}
    if feed.cursor:
        params["added_after"] = feed.cursor
    report = ImportReport(feed.name)
    cursor = feed.cursor
    while True:
        response = http.get(
            url, params=params, headers={"Accept": TAXII_ACCEPT}, auth=_auth(feed), timeout=60
        )
        response.raise_for_status()
        envelope = response.json()
        objects = envelope.get("objects", [])
        report.merge(
            import_parsed(
                db,
                settings,
                SYSTEM,
                formats.Parsed(objects=objects),
                source=f"feed:{feed.id}",
                now=now,
                default_tlp=level,
            )
        )
        cursor = response.headers.get("X-TAXII-Date-Added-Last", cursor)
        if not envelope.get("more") or not envelope.get("next"):
            break
        params["next"] = envelope["next"]
    feed.cursor = cursor or ""
    return report


def run_feed(
    db: Database, settings: Settings, feed_id: int, now: datetime, http: httpx.Client | None = None
) -> Feed:
    """Pull one feed now; its outcome (or error) is recorded on the feed."""
    client = http or httpx.Client()
    with db.session() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise NotFound(f"feed {feed_id} not found")
        session.expunge(feed)
    try:
        if feed.kind == "taxii":
            report = pull_taxii(db, settings, feed, now, client)
        else:
            report = import_location(
                db,
                settings,
                SYSTEM,
                feed.url,
                fmt=feed.kind,
                tlp=feed.default_tlp,
                now=now,
                http=client,
            )
        status, message = (
            "ok",
            (f"{report.added} added, {report.duplicates} duplicates, {report.rejected} rejected"),
        )
        added = report.added
    except (httpx.HTTPError, OSError, ValueError) as exc:
        status, message, added = "error", f"{type(exc).__name__}: {exc}", 0
    finally:
        if http is None:
            client.close()
    with db.session() as session:
        stored = session.get(Feed, feed_id)
        assert stored is not None
        stored.last_run_at, stored.last_status, stored.last_message = now, status, message[:2000]
        stored.objects_total += added
        stored.cursor = feed.cursor
        session.flush()
        session.expunge(stored)
    return stored


def due_feeds(session: Session, now: datetime) -> list[int]:
    feeds = session.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id))
    return [
        f.id
        for f in feeds
        if f.last_run_at is None or f.last_run_at + timedelta(minutes=f.interval_minutes) <= now
    ]


def add_feed(session: Session, principal: Principal, values: dict[str, Any]) -> Feed:
    require(principal, "intel.feeds.manage")
    problems = []
    if values.get("kind") not in FEED_KINDS:
        problems.append(Problem(f"one of {', '.join(FEED_KINDS)}", "field kind"))
    if not str(values.get("url", "")).startswith(("http://", "https://")):
        problems.append(Problem("an http(s) URL", "field url"))
    if values.get("kind") == "taxii" and not values.get("collection"):
        problems.append(Problem("the remote collection's id", "field collection"))
    try:
        parse_level(str(values.get("default_tlp", "green")))
    except ValueError as exc:
        problems.append(Problem(str(exc), "field default_tlp"))
    if problems:
        raise InvalidInput("invalid feed", problems)
    feed = Feed(**values)
    session.add(feed)
    session.flush()
    return feed
