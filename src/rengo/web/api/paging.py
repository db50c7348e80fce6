"""The JSON shapes of result pages, generic over the item (``rengo.core.types.Page``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

from pydantic import BaseModel, Field

from rengo.core.types import Page

T = TypeVar("T")


class ListPage(BaseModel, Generic[T]):
    """Some of the matching items, and how many match."""

    items: list[T]
    total: int


class NumberedPage(ListPage[T], Generic[T]):
    """One numbered page of the matching items."""

    page: int
    per_page: int
    total_is_lower_bound: bool = Field(description="True when there are more than `total`")

    @classmethod
    def of(cls, page: Page[Any], convert: Callable[[Any], T]) -> Self:
        """The JSON form of a domain's ``Page``, each item converted."""
        return cls(
            items=[convert(item) for item in page.items],
            total=page.total,
            page=page.page,
            per_page=page.per_page,
            total_is_lower_bound=page.total_is_lower_bound,
        )
