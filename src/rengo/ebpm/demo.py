"""Demo steps of the EBPM domain."""

from rengo.ebpm.zone import demo as zone_demo

__all__ = ["zone_demo"]
