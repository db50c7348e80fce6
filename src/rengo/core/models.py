"""Core's tables, imported together so that migrations and their check see every one."""

from __future__ import annotations

from rengo.core import audit, identity, login_throttle, mfa, tenancy

__all__ = ["audit", "identity", "login_throttle", "mfa", "tenancy"]
