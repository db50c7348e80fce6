"""What an API token may be called: a description, never something that reads as a person.

A token's name is shown beside the token (lists, the audit detail), never as who acted
(``Principal.label``). Still, a name that is a user name, or has the shape of one
(``chiyoda.admin``, ``joint.csirt``: ``<ward>.<role>``), or of an actor label
(``x (admin)``, ``token #3``), invites confusion in every list that shows it; such
names are refused when the token is made.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import text
from sqlalchemy.orm import Session

from rengo.core.errors import InvalidInput, Problem
from rengo.core.wards import wards

_USER_SHAPED = re.compile(r"([\w-]+)\.[\w-]+")
_LABEL_CHARACTERS = set("()#")
_RESERVED = {"system", "anonymous", "admin", "root"}


def _looks_like_a_user(normal: str) -> bool:
    """'<ward slug or joint>.<anything>': the shape of rengo's own account names."""
    shaped = _USER_SHAPED.fullmatch(normal)
    return shaped is not None and shaped.group(1) in {"joint", *(w.slug for w in wards())}


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().casefold()


def check_token_name(session: Session, name: str) -> None:
    """Raise ``InvalidInput`` (field name) when ``name`` would read as a user or an actor."""
    normal = _normal(name)
    if not normal:
        return
    problem = None
    if normal in _RESERVED or _looks_like_a_user(normal):
        problem = Problem(
            "a token name may not look like a user name (ward.role): describe its use",
            "field name",
        )
    elif _LABEL_CHARACTERS & set(normal):
        problem = Problem("a token name may not contain ( ) or #: describe its use", "field name")
    elif session.execute(
        text("SELECT 1 FROM users WHERE lower(username) = :name"), {"name": normal}
    ).first():
        problem = Problem("a token name may not be a user name: describe its use", "field name")
    if problem is not None:
        raise InvalidInput("token name {name!r} refused", [problem], values={"name": name})
