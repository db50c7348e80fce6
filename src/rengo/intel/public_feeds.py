"""The public feeds rengo ships, disabled: NISC and JPCERT/CC advisories, abuse.ch URLhaus
and ThreatFox, CISA KEV, the MISP default feeds (``data/public_feeds.yml``).

Each definition names its publisher, format, URL and licence. Nothing is fetched until the
joint centre enables one (a click on ``/intel/feeds`` or ``POST
/api/v1/intel/public-feeds/{key}/enable``): that makes it a scheduled feed (``intel_feeds``)
pulled by the background round like any other; disabling keeps its history. The demo (and
the tests) load the recorded copy shipped beside the definitions instead of the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from rengo.core import audit
from rengo.core.db import Database
from rengo.core.errors import NotFound
from rengo.core.permissions import Principal, require
from rengo.core.settings import Settings
from rengo.intel import bulletins, feeds
from rengo.intel.models import Feed
from rengo.intel.tlp import parse_level

PUBLIC_TLP = "clear"
"""Everything these feeds publish is public."""


@dataclass(frozen=True, slots=True)
class PublicFeed:
    key: str
    name: str
    provider: str
    kind: feeds.FeedKind
    url: str
    licence: str
    licence_url: str
    licence_source: str
    """Where the licence statement was checked; empty where none is published (the
    licence then says it is unverified or unpublished)."""
    recorded: str
    """File or folder under ``data/recorded/``."""


@cache
def catalogue() -> tuple[PublicFeed, ...]:
    text = resources.files("rengo.intel").joinpath("data/public_feeds.yml").read_text("utf-8")
    return tuple(PublicFeed(**entry) for entry in yaml.safe_load(text))


def definition(key: str) -> PublicFeed:
    found = next((f for f in catalogue() if f.key == key), None)
    if found is None:
        raise NotFound("no public feed {key}", values={"key": key})
    return found


def recorded_path(feed: PublicFeed) -> Path:
    return Path(str(resources.files("rengo.intel").joinpath(f"data/recorded/{feed.recorded}")))


def configured(session: Session) -> dict[str, Feed]:
    """The public feeds that have a row in ``intel_feeds`` (enabled or not), by key."""
    by_name = {f.name: f.key for f in catalogue()}
    rows = session.scalars(select(Feed).where(Feed.name.in_(sorted(by_name))))
    return {by_name[row.name]: row for row in rows}


def set_enabled(session: Session, principal: Principal, key: str, enabled: bool) -> Feed:
    """Enable (create the scheduled feed, or turn it back on) or disable a public feed."""
    require(principal, "intel.feeds.manage")
    public = definition(key)
    row = configured(session).get(key)
    if row is None:
        row = feeds.add_feed(
            session,
            principal,
            {
                "name": public.name,
                "kind": public.kind,
                "url": public.url,
                "default_tlp": PUBLIC_TLP,
                "interval_minutes": 360,
                "enabled": enabled,
            },
        )
    row.enabled = enabled
    audit.record(
        session,
        principal,
        "intel.public_feed.enable" if enabled else "intel.public_feed.disable",
        object_type="feed",
        object_id=row.id,
        object_tenant="joint",
        detail={"key": key, "url": public.url},
    )
    session.flush()
    return row


def load_recorded(
    db: Database, settings: Settings, principal: Principal, key: str, *, now: datetime
) -> feeds.ImportReport:
    """Import the recorded copy of a public feed (the demo; no network)."""
    public = definition(key)
    path = recorded_path(public)
    if public.kind == "rss":  # the publisher is named by the definition, not by a host
        require(principal, "intel.feeds.manage")
        level = parse_level(PUBLIC_TLP)
        parsed = bulletins.parse_rss(path.read_bytes(), path.name, public.provider, level, now)
        return feeds.import_parsed(
            db, settings, principal, parsed, source=f"public:{key}", now=now, default_tlp=level
        )
    return feeds.import_location(
        db, settings, principal, str(path), fmt=public.kind, tlp=PUBLIC_TLP, now=now
    )
