"""When an exercise may be planned to start: ``--start-at``, the API's ``start_at`` and
the planner's form all go through ``check_start`` (messages in Japanese too: the form
shows them next to its field)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rengo.core.errors import InvalidInput, Problem

MAX_LEAD = timedelta(days=366)
"""How far ahead an exercise may be planned to start by itself."""
PAST_GRACE = timedelta(minutes=1)
FIELD = "field start_at"


def check_start(start_at: datetime, now: datetime, *, live: bool, autostart: bool) -> None:
    """A start time has a zone, is not past and is within a year; only a live exercise
    starts by itself (a tabletop is started by its facilitator)."""
    if start_at.tzinfo is None:
        found = Problem("give a time zone, e.g. 2026-12-07T10:00+09:00", FIELD)
    elif start_at < now - PAST_GRACE:
        found = Problem("the start time has passed", FIELD)
    elif start_at > now + MAX_LEAD:
        found = Problem("at most a year ahead", FIELD)
    elif autostart and not live:
        found = Problem("only a live exercise starts by itself; start a tabletop", FIELD)
    else:
        return
    raise InvalidInput("invalid start", [found])
