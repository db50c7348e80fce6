"""How many requests one client may make in a period, counted in the database so that every
web worker (and every restart) sees the same counts: the CKAN API's anonymous limit and the
public submission forms' limit.

A sliding window approximated by two fixed ones (as Cloudflare's and nginx's limiters do):
the current window's count plus the previous window's count weighted by how much of the
previous window still lies within the last ``seconds``. The current count is raised by one
atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` on both SQLite and PostgreSQL, so two
workers taking the last place at once cannot both get it. A refused request is counted too:
a client that keeps trying while refused stays refused (for at most one more window, since
the previous window weighs at most ``limit``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from rengo.opendata.models import RateCount


def allow(engine: Engine, limiter: str, client: str, limit: int, seconds: int, now: float) -> bool:
    """Count this request of ``client`` (``now``: seconds since the epoch) and say whether it
    is within ``limit`` per ``seconds``. Runs in its own transaction: the count stays even
    when the request itself fails."""
    window, into = divmod(now, seconds)
    current = int(window)
    client = client[:64]
    insert: Any = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(RateCount).values(limiter=limiter, client=client, window=current, count=1)
    statement = statement.on_conflict_do_update(
        index_elements=["limiter", "client", "window"],
        set_={"count": RateCount.count + 1},
    ).returning(RateCount.count)
    with engine.begin() as connection:
        count = int(connection.execute(statement).scalar_one())
        previous = connection.scalar(
            select(RateCount.count).where(
                RateCount.limiter == limiter,
                RateCount.client == client,
                RateCount.window == current - 1,
            )
        )
        if count == 1:  # the first request of a window forgets the windows before the last
            connection.execute(
                delete(RateCount).where(
                    RateCount.limiter == limiter, RateCount.window < current - 1
                )
            )
    weight = 1 - into / seconds
    return min(previous or 0, limit) * weight + count <= limit
