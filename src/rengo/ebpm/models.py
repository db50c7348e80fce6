"""Tables of the EBPM domain (found by ``rengo.domains`` for migrations)."""

from rengo.ebpm.zone import models as zone_models

__all__ = ["zone_models"]
