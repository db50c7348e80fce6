"""The CSIRT's settings section, declared below the domains where messaging reads it."""

from __future__ import annotations

from rengo.notify.settings import CsirtSettings

__all__ = ["CsirtSettings"]
