"""Who may do what in the data-linkage zone (decided by ``rengo.core.permissions``).

Deposits belong to the ward whose department made them; a ward's privacy officer decides
on its deposits, on purposes that use them and on every release; analysts see records
only through an approved purpose, and never a direct identifier.
"""

from rengo.core.permissions import Role, define

define("ebpm.zone.deposit", {Role.DATA_OWNER, Role.ADMIN}, "Deposit an extract into the zone.")
define(
    "ebpm.zone.read",
    {Role.DATA_OWNER, Role.PRIVACY_OFFICER, Role.ZONE_ANALYST, Role.AUDITOR, Role.ADMIN},
    "Read what the zone holds of one's ward (metadata, never records).",
)
define(
    "ebpm.zone.approve",
    {Role.PRIVACY_OFFICER},
    "Approve or reject deposits, purposes and releases of one's ward.",
)
define(
    "ebpm.zone.purpose",
    {Role.ZONE_ANALYST, Role.POLICY},
    "Request a purpose: which deposits and columns an analysis needs.",
)
define(
    "ebpm.zone.analyse",
    {Role.ZONE_ANALYST},
    "Link deposits, read pseudonymised records and review pairs under an approved purpose.",
)
define(
    "ebpm.zone.release.read",
    {Role.POLICY, Role.ZONE_ANALYST, Role.PRIVACY_OFFICER, Role.EXECUTIVE, Role.AUDITOR},
    "Read and download approved, de-identified releases.",
)
