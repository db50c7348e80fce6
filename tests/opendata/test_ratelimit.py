"""The database-kept rate limit: a sliding window over two fixed ones, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from rengo.core.runtime import Runtime
from rengo.opendata.models import RateCount
from rengo.opendata.ratelimit import allow

T0 = 1_800_000_000.0  # a multiple of 60 (and 3600): the start of a window


def test_window_slides_over_the_previous_one(env: Runtime) -> None:
    engine = env.db.engine

    def ask(at: float, client: str = "198.51.100.7") -> bool:
        return allow(engine, "test", client, 3, 60, at)

    assert [ask(T0 + s) for s in (1, 2, 3, 4)] == [True, True, True, False]
    assert ask(T0 + 5, "203.0.113.9")  # another client has its own count
    # 15 s into the next window 3/4 of the last one counts (4 requests, at most 3 weigh):
    # 2.25 + 1 > 3
    assert not ask(T0 + 75)
    # 50 s in, 1/6 of it does: 0.5 + 2 <= 3
    assert ask(T0 + 110)
    # two windows later the first one is forgotten (deleted when a window starts)
    assert ask(T0 + 185)
    with env.db.session() as session:
        windows = session.scalars(
            select(RateCount.window).where(RateCount.client == "198.51.100.7").distinct()
        ).all()
    assert int(T0 // 60) not in windows


def test_concurrent_requests_never_share_the_last_place(env: Runtime) -> None:
    engine = env.db.engine
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: allow(engine, "race", "a", 5, 3600, T0), range(12)))
    assert answers.count(True) == 5
    with env.db.session() as session:
        assert session.scalar(select(func.sum(RateCount.count))) == 12
