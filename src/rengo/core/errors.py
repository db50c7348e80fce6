"""Errors every layer understands; the web layer maps them to HTTP statuses.

Errors that concern input carry where the problem is (file:line, field, record), the way
pySigma's errors carry their source location.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with some input, and where it is."""

    message: str
    location: str = ""
    """'file.csv:12', 'field confidentiality', 'record 7' … empty when not tied to a place."""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RengoError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class InvalidInput(RengoError):
    status_code = 422
    code = "invalid"


class NotFound(RengoError):
    status_code = 404
    code = "not_found"


class Forbidden(RengoError):
    status_code = 403
    code = "forbidden"


class Unauthenticated(RengoError):
    status_code = 401
    code = "unauthenticated"


class Conflict(RengoError):
    status_code = 409
    code = "conflict"


class TooManyAttempts(RengoError):
    status_code = 429
    code = "too_many_attempts"


@dataclass(slots=True)
class ProblemList:
    """Collects problems while checking input, then raises them all at once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, location: str = "") -> None:
        self.problems.append(Problem(message, location))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, message: str) -> None:
        if self.problems:
            raise InvalidInput(message, list(self.problems))
