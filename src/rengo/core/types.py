"""Type aliases shared across rengo (one place, as Starlette keeps them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

TenantCode: TypeAlias = str
"""A six-digit ward code (e.g. '131016') or 'joint' for the joint centre."""


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a numbered result list (assets, incidents, alerts, …)."""

    items: list[T]
    total: int
    page: int
    per_page: int
    total_is_lower_bound: bool = False
    """True when counting stopped at a cap: there are at least ``total`` matches."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    """One page of a result list read in order (events, TAXII objects): the items, and the
    opaque cursor that continues after them (``None`` at the end)."""

    items: list[T]
    next_cursor: str | None

    @property
    def more(self) -> bool:
        return self.next_cursor is not None
