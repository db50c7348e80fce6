"""The extension points of messaging: what other domains plug in, explicitly.

**Worker hooks.** A domain whose events should reach people on a schedule (FinOps alerts,
exercise reminders, …) registers a ``Hook`` — ``hook(session, settings, now) -> int`` —
from its own ``notifications.py`` (imported by ``rengo.domains.load_domains``). The worker
runs every registered hook each round, in the round's transaction, and the hook queues
notifications (``rengo.notify.outbox.enqueue``) or pages (``rengo.notify.paging``); it
returns how many items it handled.

**Page listeners.** A page may be about something of another domain (an incident): a
listener registered with ``on_page`` hears each step of every page — paged, escalated,
acknowledged — in the same transaction, and records it where its data lives (the CSIRT
writes the incident's timeline). Messaging itself imports no domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from rengo.core.settings import Settings
from rengo.notify.models import OnCallPage, OnCallTeam

Hook = Callable[[Session, Settings, datetime], int]
_hooks: dict[str, Hook] = {}

PageStep = Literal["paged", "escalated", "acknowledged"]


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One step of a page: ``people`` reached (empty: nobody), ``step`` the policy step's
    label, ``by`` who acknowledged."""

    step: PageStep
    page: OnCallPage
    team: OnCallTeam
    at: datetime
    people: tuple[str, ...] = ()
    label: str = ""
    by: str = ""


PageListener = Callable[[Session, PageEvent], None]
_listeners: dict[str, PageListener] = {}


def register_hook(name: str, hook: Hook) -> None:
    """Add (or replace) a notifier hook every worker runs from now on."""
    _hooks[name] = hook


def registered_hooks() -> dict[str, Hook]:
    return dict(_hooks)


def on_page(name: str, listener: PageListener) -> None:
    """Add (or replace) a listener told of every page's steps."""
    _listeners[name] = listener


def registered_listeners() -> dict[str, PageListener]:
    return dict(_listeners)


def page_event(session: Session, event: PageEvent) -> None:
    for listener in _listeners.values():
        listener(session, event)
