"""Who may send, search and count the SOC's events (always within their own ward)."""

from rengo.core.permissions import Role, Scope, define

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

# The alert queue (soc/alerts*.py, docs/soc-detection.md).
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
