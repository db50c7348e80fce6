"""Who may send, search and count the SOC's events (always within their own ward)."""

from rengo.core.permissions import Role, define

define(
    "soc.ingest",
    {Role.ADMIN, Role.WARD_IT, Role.SOC_ANALYST},
    "Send security logs of one's ward (HTTP ingest, file ingest).",
)
define(
    "soc.events.read",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT},
    "Search raw security events of one's ward (the joint centre: of all wards).",
)
define(
    "soc.stats.read",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT, Role.EXECUTIVE},
    "See event counts per ward, class, source and day, and the quarantine's counts.",
)
define(
    "soc.quarantine.manage",
    {Role.ADMIN, Role.SOC_ANALYST, Role.WARD_IT},
    "Read quarantined raw records and replay them after a parser fix.",
)
