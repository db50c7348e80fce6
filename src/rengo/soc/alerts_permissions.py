"""Who may see and work the alert queue, tune rules and raise alerts."""

from rengo.core.permissions import Role, Scope, define

define(
    "soc.alerts.read",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT},
    "See alerts of one's ward (the joint centre: of every ward, and campaigns).",
)
define(
    "soc.alerts.triage",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT},
    "Assign, acknowledge and close alerts of one's ward.",
)
define(
    "soc.alerts.suppress",
    {Role.ADMIN, Role.SOC_ANALYST, Role.WARD_IT},
    "Suppress detections for one's ward until a date, with a reason.",
)
define(
    "soc.alerts.raise",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT},
    "Raise an alert from another detector (threat-intelligence indicator hits).",
)
define(
    "soc.rules.manage",
    {Role.ADMIN, Role.SOC_ANALYST, Role.WARD_IT},
    "Switch detection rules off or change their level for one's ward.",
)
define(
    "soc.rules.read",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT},
    "See the detection rules, their tuning and what could not be converted.",
    Scope.GLOBAL,
)
