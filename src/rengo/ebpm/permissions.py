"""Who may do what in EBPM (decided by ``rengo.core.permissions``)."""

from rengo.ebpm.zone import permissions as zone_permissions

__all__ = ["zone_permissions"]
