"""The web's rate limits, counted in the database (``rengo.opendata.ratelimit``) so that
they hold across web workers and restarts: the CKAN API's anonymous limit and the public
submission forms' limit."""

from __future__ import annotations

import time

from rengo.core.runtime import Runtime
from rengo.opendata import ratelimit


def allow(runtime: Runtime, limiter: str, client: str, limit: int, seconds: int) -> bool:
    """Count this request of ``client`` against ``limit`` per ``seconds``; False past it."""
    return ratelimit.allow(runtime.db.engine, limiter, client, limit, seconds, time.time())
