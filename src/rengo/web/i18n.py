"""Japanese first, English one click away.

Every UI string is an English msgid; ``locale/ja/*.po`` (one file per area, merged)
holds the Japanese. The language of the current request lives in a context variable,
so templates and code call plain ``_()``. Where one English word means two things in two
areas ("Action": 操作 in the audit log, 対処 in an incident), the second meaning gets a context:
``pgettext("incident", "Action")``, ``msgctxt "incident"`` in the catalogue.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Literal, get_args

from babel.messages.pofile import read_po

Language = Literal["ja", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)
_language: ContextVar[str] = ContextVar("rengo_language", default="ja")
CONTEXT_SEPARATOR = "\x04"  # gettext's: a context's msgid is "context\x04msgid"


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid -> translation for ``language`` (English needs none: msgids are English)."""
    if language == "en":
        return {}
    messages: dict[str, str] = {}
    folder = resources.files("rengo.web").joinpath("locale", language)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle, locale=language):
                if message.id and message.string and isinstance(message.id, str):
                    messages[message_key(message.id, message.context)] = str(message.string)
    return messages


def message_key(msgid: str, context: str | None = None) -> str:
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else "ja")


def current_language() -> str:
    return _language.get()


def gettext(message: str) -> str:
    return catalog(_language.get()).get(message, message)


def pgettext(context: str, message: str) -> str:
    return catalog(_language.get()).get(message_key(message, context), message)


def ngettext(singular: str, plural: str, n: int) -> str:
    # Japanese has no plural forms; English picks by n.
    if _language.get() == "ja":
        return gettext(singular)
    return singular if n == 1 else plural


_ = gettext


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message
