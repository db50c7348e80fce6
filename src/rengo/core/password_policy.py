"""Which new passwords are accepted (NIST SP 800-63B, section 3.1.1.2).

A new password must be long enough, must not be on a list of commonly used or breached
passwords, must not be built from the account's own names, "rengo" or a ward's name, and
must not be trivially guessable (repeats, sequences, keyboard walks, dates). No composition
rules (NIST advises against them) and no expiry.

The common-password list and the strength estimate come from ``zxcvbn`` (the Python port
of Dropbox's estimator, MIT licence), which ships its lists inside the package: 30,000
passwords ranked by frequency in leaked password sets (the Xato 10-million-password
corpus), plus English words, names and surnames. Nothing is fetched at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from rengo.core.errors import InvalidInput, Problem
from rengo.core.settings import Settings
from rengo.core.wards import wards

MAX_LENGTH = 256
SCORED_LENGTH = 72  # zxcvbn refuses longer input; a 72-character prefix is plenty to judge
MIN_OWN_CHARACTERS = 6
"""What must remain of a password once the account's names, "rengo" and ward names are
taken out of it: fewer characters than this and the password is "built from" them."""

# The weakest part of a guessable password, in words a user can act on.
WEAKNESS = {
    "repeat": "it repeats characters or words",
    "sequence": "it is a sequence such as abcdef or 123456",
    "spatial": "it is a pattern on the keyboard",
    "date": "it is or contains a date",
    "regex": "it is or contains a year",
    "dictionary": "it is made of common words, names or passwords",
    "bruteforce": "it is too short to resist guessing",
}
FIELD = "field password"


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


@cache
def platform_words() -> tuple[str, ...]:
    """Names every rengo account shares: the product and the wards (romaji and Japanese)."""
    names = {"rengo", "joint", "連合", "共同センター"}
    for ward in wards():
        names.update({ward.slug, ward.name_ja, ward.name_ja.removesuffix("区")})
    return tuple(sorted(names))


def account_words(*values: str) -> list[str]:
    """The words a password must not be built from, for an account with these names."""
    words: set[str] = set(platform_words())
    for value in values:
        value = value.strip().lower()
        if not value:
            continue
        words.add(value)
        words.update(part for part in re.split(r"[.@_\-\s]+", value) if len(part) >= 3)
    return sorted(words, key=len, reverse=True)


def _without(password: str, words: Iterable[str]) -> str:
    rest = password.lower()
    for word in words:
        rest = rest.replace(word.lower(), "")
    return "".join(ch for ch in rest if ch.isalnum())


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    min_length: int = 10
    min_score: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        auth = settings.auth
        return cls(min_length=auth.password_min_length, min_score=auth.password_min_score)

    def problems(self, password: str, words: list[str]) -> list[Problem]:
        """Why ``password`` is refused (empty: accepted). ``words``: see ``account_words``."""
        if len(password) < self.min_length:
            return [
                Problem(
                    "at least {min_length} characters",
                    FIELD,
                    values={"min_length": self.min_length},
                )
            ]
        if len(password) > MAX_LENGTH:
            return [
                Problem("at most {max_length} characters", FIELD, values={"max_length": MAX_LENGTH})
            ]
        if password.lower() in common_passwords():
            return [Problem("one of the most common passwords; choose another", FIELD)]
        used = [w for w in words if w and w.lower() in password.lower()]
        if used and len(_without(password, words)) < MIN_OWN_CHARACTERS:
            return [
                Problem(
                    "built from the user name, rengo or a ward's name; add words of your own",
                    FIELD,
                )
            ]
        result: dict[str, Any] = zxcvbn(password[:SCORED_LENGTH], user_inputs=words)
        if int(result["score"]) < self.min_score:
            return [
                Problem(
                    "too easy to guess: {weakness}; a few unrelated words make a strong one",
                    FIELD,
                    values={"weakness": WEAKNESS.get(_weakest(result), WEAKNESS["dictionary"])},
                )
            ]
        return []

    def check(self, password: str, words: list[str]) -> None:
        problems = self.problems(password, words)
        if problems:
            raise InvalidInput("password refused", problems)


def _weakest(result: dict[str, Any]) -> str:
    """The pattern of the part of the password that is cheapest to guess."""
    sequence = result.get("sequence") or []
    if not sequence:
        return "bruteforce"
    weakest = max(sequence, key=lambda m: len(m.get("token", "")) / max(float(m["guesses"]), 1.0))
    return str(weakest.get("pattern", "dictionary"))
