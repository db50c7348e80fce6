"""Sliding windows in memory: how many requests one client address may make in a period
(the CKAN API's anonymous limit, the public submission forms' limit)."""

from __future__ import annotations

import time
from collections import defaultdict, deque

from fastapi import Request


class SlidingWindow:
    """At most ``limit`` events per ``seconds`` for each key (a client address)."""

    def __init__(self, seconds: float = 60) -> None:
        self.seconds = seconds
        self.seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, who: str, limit: int) -> bool:
        now = time.monotonic()
        window = self.seen[who]
        while window and window[0] < now - self.seconds:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True


def window_of(request: Request, name: str, seconds: float) -> SlidingWindow:
    """The app's window called ``name`` (made on first use, shared by all requests)."""
    windows: dict[str, SlidingWindow] | None = getattr(request.app.state, "rate_windows", None)
    if windows is None:
        windows = request.app.state.rate_windows = {}
    if name not in windows:
        windows[name] = SlidingWindow(seconds)
    return windows[name]
