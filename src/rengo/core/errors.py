"""Errors every layer understands; the web layer maps them to HTTP statuses.

Errors that concern input carry where the problem is (file:line, field, record), the way
pySigma's errors carry their source location.

A message is an English template with named values (``"cannot move from {current} to
{target}"``, ``values={...}``): ``message`` and ``str()`` are the English text (API, CLI,
logs); the web layer looks the template up as a msgid and fills in the same values in the
reader's language (``rengo.web.errors``). Keep f-strings out of messages people see in
forms: an f-string has no fixed msgid to translate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError


def render(template: str, values: Mapping[str, Any] | None) -> str:
    """The English text: ``template`` with ``values`` filled in (as ``str.format``)."""
    return template.format(**values) if values else template


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with some input, and where it is."""

    template: str
    """The English message, with ``{name}`` for each of ``values`` (the msgid to translate)."""
    location: str = ""
    """'file.csv:12', 'field confidentiality', 'record 7' … empty when not tied to a place."""
    values: Mapping[str, Any] | None = field(default=None, compare=False)
    code: str = ""
    """A kind the web layer translates by when ``template`` is not ours (pydantic's error
    type such as ``missing``); ``values`` then hold the error's context."""

    @property
    def message(self) -> str:
        return render(self.template, self.values)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RengoError(Exception):
    """A refusal the caller can act on; each kind declares its HTTP status and code
    (``class NotFound(RengoError, status=404, code="not_found")``)."""

    status_code = 400
    code = "error"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        problems: list[Problem] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = message
        self.values = dict(values or {})
        self.message = render(message, values)
        super().__init__(self.message)
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class InvalidInput(RengoError, status=422, code="invalid"):
    """The input breaks a rule; its ``problems`` say where."""


class NotFound(RengoError, status=404, code="not_found"):
    """No such object, or none the caller may see (the two are not told apart)."""


class Forbidden(RengoError, status=403, code="forbidden"):
    """The caller may not do this."""


class Unauthenticated(RengoError, status=401, code="unauthenticated"):
    """Nobody is logged in, or the credentials are not valid."""


class Conflict(RengoError, status=409, code="conflict"):
    """The object's state does not allow this (now)."""


class TooManyAttempts(RengoError, status=429, code="too_many_attempts"):
    """Too many tries in a short time; the caller waits before the next."""


class InvalidValue(ValueError):
    """A ``ValueError`` for pydantic validators whose message the web layer can translate
    (pydantic keeps the exception in the error's ``ctx``)."""

    def __init__(self, template: str, values: Mapping[str, Any] | None = None) -> None:
        self.template = template
        self.values = dict(values or {})
        super().__init__(render(template, values))


T = TypeVar("T")


def refuse_null(value: T) -> T:
    """For a PATCH field with no empty value: an explicit null is refused, naming the field
    (leaving the field out keeps its value). Use in a pydantic ``field_validator``."""
    if value is None:
        raise InvalidValue("may not be null: leave the field out to keep its value")
    return value


def validation_problem(item: Mapping[str, Any], location: str) -> Problem:
    """One of pydantic's errors (an item of ``errors()``) as a problem at ``location``.

    The English message stays pydantic's (the API shows it); ``code`` and ``values`` keep the
    error type and its context so that the web layer can say it in the reader's language.
    """
    ctx = dict(item.get("ctx") or {})
    cause = ctx.pop("error", None)
    if isinstance(cause, InvalidValue):
        return Problem(cause.template, location, cause.values)
    message = str(item["msg"]).removeprefix("Value error, ")
    if ctx:  # the message is no template: keep its braces through ``format``
        message = message.replace("{", "{{").replace("}", "}}")
    return Problem(message, location, ctx, code=str(item["type"]))


def problems_from_validation(error: ValidationError, prefix: str = "") -> list[Problem]:
    """pydantic's errors as rengo problems, each naming its field."""
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "record"
        location = f"{prefix}field {where}" if where != "record" else prefix
        problems.append(validation_problem(item, location))
    return problems


@dataclass(slots=True)
class ProblemList:
    """Collects problems while checking input, then raises them all at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(
        self, message: str, location: str = "", values: Mapping[str, Any] | None = None
    ) -> None:
        self.problems.append(Problem(message, location, values))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, message: str, values: Mapping[str, Any] | None = None) -> None:
        if self.problems:
            raise InvalidInput(message, list(self.problems), values)
