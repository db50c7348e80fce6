"""What the CSIRT's pages share: reading form values, and showing a rengo error next to the
form and the fields it names (``aria-invalid`` / ``aria-describedby`` in the templates)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from rengo.core.clock import JST
from rengo.core.errors import InvalidInput, Problem, RengoError, problems_from_validation
from rengo.core.wards import ward_codes
from rengo.csirt.vocabulary import (
    ACTION_KINDS,
    ACTION_STATUSES,
    COST_KINDS,
    COST_SHARING,
)
from rengo.notify.vocabulary import ON_CALL_VALUES
from rengo.web import i18n
from rengo.web.deps import FormPost
from rengo.web.errors import error_message, problem_message, problem_text
from rengo.web.templating import env, tenant_label

_CODES_IN_SUMMARY = re.compile(
    r"\b(" + "|".join(sorted(ACTION_KINDS) + sorted(ward_codes())) + r")\b"
)


def timeline_text(summary: str) -> str:
    """A timeline entry's stored summary with the action kinds and ward codes it names
    (``Requested isolate_host pc-1 at 131016``) shown by their names."""

    def name(match: re.Match[str]) -> str:
        code = match.group(1)
        term = ACTION_KINDS.get(code)
        return term.label(i18n.current_language()) if term else tenant_label(code)

    return _CODES_IN_SUMMARY.sub(name, summary)


env.filters["timeline_text"] = timeline_text

env.globals.update(
    ACTION_STATUSES=ACTION_STATUSES,
    COST_KINDS=COST_KINDS,
    COST_SHARING=COST_SHARING,
    ON_CALL_VALUES=ON_CALL_VALUES,
)


def jst_input(value: str | None, name: str) -> datetime | None:
    """A ``datetime-local`` value, which the form shows and takes in JST."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=JST)
    except ValueError:
        raise InvalidInput(
            "invalid date",
            [Problem("Enter a date and time like 2026-06-01T10:00.", f"field {name}")],
        ) from None


def int_or_none(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).replace(",", "").strip())
    except ValueError:
        raise InvalidInput(
            "invalid number", [Problem("Enter a whole number.", f"field {name}")]
        ) from None


def float_or_none(value: Any, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "").strip())
    except ValueError:
        raise InvalidInput(
            "invalid number", [Problem("Enter a number.", f"field {name}")]
        ) from None


def problems_of(error: ValidationError) -> list[Problem]:
    return problems_from_validation(error)


@dataclass(frozen=True, slots=True)
class FormError:
    """A refused form: which one, the message, and the message per field it names."""

    form: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)
    status: int = 422

    @classmethod
    def of(cls, form: str, error: RengoError) -> FormError:
        fields: dict[str, str] = {}
        others: list[str] = []
        for problem in error.problems:
            if problem.location.startswith("field "):
                name = problem.location.removeprefix("field ").split(".")[0].split("[")[0]
                message = problem_message(problem)
                fields[name] = f"{fields[name]}; {message}" if name in fields else message
            else:
                others.append(problem_text(problem))
        return cls(form, error_message(error), fields, others, error.status_code)

    def on(self, form: str, name: str) -> str:
        """The error of field ``name`` if ``form`` is the refused one, else ``""``."""
        return self.fields.get(name, "") if form == self.form else ""


async def post_or_show(
    post: FormPost,
    work: Callable[[Session, FormData], str],
    show: Callable[[Session, FormData, RengoError], HTMLResponse],
) -> Response:
    """Run ``work(session, form)`` in a transaction and go to the address it answers; a
    refused change (a rengo error) shows the form's page again, ``show``n with the reason."""
    form = await post.request.form()
    try:
        with post.runtime.db.session() as session:
            goto = work(session, form)
    except RengoError as exc:
        with post.runtime.db.session() as session:
            return show(session, form, exc)
    return RedirectResponse(goto, status_code=303)
