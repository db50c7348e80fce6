"""The public feeds rengo ships disabled (``rengo.intel.public_feeds``): list, enable, disable."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from rengo.core.permissions import require
from rengo.intel import public_feeds
from rengo.intel.feeds import FeedKind
from rengo.web.deps import SessionDep, UserDep

router = APIRouter(prefix="/api/v1/intel/public-feeds", tags=["intel"])

FeedKey = Path(pattern=r"^[a-z0-9-]{1,64}$", description="The feed's key, e.g. cisa-kev")


class PublicFeedOut(BaseModel):
    key: str
    name: str
    provider: str
    kind: FeedKind
    url: str
    licence: str
    licence_url: str
    licence_source: str = Field(
        description="Where the licence statement was checked; empty: none is published"
    )
    enabled: bool = Field(description="Shipped disabled: nothing is fetched until enabled")
    feed_id: int | None = Field(description="Its scheduled feed, once enabled the first time")
    last_run_at: datetime | None
    last_status: str
    objects_total: int


def rows(session: SessionDep) -> list[PublicFeedOut]:
    configured = public_feeds.configured(session)
    out = []
    for feed in public_feeds.catalogue():
        row = configured.get(feed.key)
        out.append(
            PublicFeedOut(
                key=feed.key,
                name=feed.name,
                provider=feed.provider,
                kind=feed.kind,
                url=feed.url,
                licence=feed.licence,
                licence_url=feed.licence_url,
                licence_source=feed.licence_source,
                enabled=bool(row and row.enabled),
                feed_id=row.id if row else None,
                last_run_at=row.last_run_at if row else None,
                last_status=row.last_status if row else "",
                objects_total=row.objects_total if row else 0,
            )
        )
    return out


@router.get("", response_model=list[PublicFeedOut], summary="Public feeds shipped (disabled)")
def list_public_feeds(principal: UserDep, session: SessionDep) -> list[PublicFeedOut]:
    require(principal, "intel.feeds.manage")
    return rows(session)


def _set(session: SessionDep, principal: UserDep, key: str, enabled: bool) -> PublicFeedOut:
    public_feeds.set_enabled(session, principal, key, enabled)
    return next(r for r in rows(session) if r.key == key)


@router.post("/{feed_key}/enable", response_model=PublicFeedOut, summary="Enable a public feed")
def enable(principal: UserDep, session: SessionDep, feed_key: str = FeedKey) -> PublicFeedOut:
    return _set(session, principal, feed_key, True)


@router.post("/{feed_key}/disable", response_model=PublicFeedOut, summary="Disable a public feed")
def disable(principal: UserDep, session: SessionDep, feed_key: str = FeedKey) -> PublicFeedOut:
    return _set(session, principal, feed_key, False)
