"""The public feeds on /intel/feeds: enabling or disabling one is a click."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from rengo.intel import public_feeds
from rengo.web.deps import SessionDep, UserDep

router = APIRouter(include_in_schema=False)


@router.post("/intel/feeds/public/{feed_key}", response_model=None)
async def toggle(
    feed_key: str, request: Request, principal: UserDep, session: SessionDep
) -> RedirectResponse:
    form = await request.form()
    enabled = str(form.get("action", "")) == "enable"
    public_feeds.set_enabled(session, principal, feed_key, enabled)
    return RedirectResponse("/intel/feeds#public-feeds", status_code=303)
