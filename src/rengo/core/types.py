"""Type aliases shared across rengo (one place, as Starlette keeps them)."""

from __future__ import annotations

from typing import Any, TypeAlias

TenantCode: TypeAlias = str
"""A six-digit ward code (e.g. '131016') or 'joint' for the joint centre."""

JSONDict: TypeAlias = dict[str, Any]
UserId: TypeAlias = int
