"""Time as a dependency, so that tests of escalations and windows can move it by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

JST = timezone(timedelta(hours=9), "JST")
"""Japan Standard Time: what every page shows (rengo stores UTC)."""


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def to_jst(value: datetime) -> datetime:
    """``value`` (aware) as Japan time, for showing: every JST conversion goes through here."""
    return value.astimezone(JST)
