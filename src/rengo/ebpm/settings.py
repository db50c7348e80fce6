"""Settings sections of the EBPM domain."""

from rengo.ebpm.zone.settings import ZoneSettings

__all__ = ["ZoneSettings"]
