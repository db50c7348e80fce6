"""Who may do what in the joint CSIRT (decided only by ``rengo.core.permissions``)."""

from rengo.core.permissions import Role, define

RESPONDERS = {Role.ADMIN, Role.CSIRT, Role.SOC_ANALYST, Role.WARD_IT}

define(
    "csirt.incidents.read",
    RESPONDERS | {Role.EXECUTIVE},
    "See the incidents of one's ward (the joint centre: all), their timelines and reports.",
)
define(
    "csirt.incidents.write",
    RESPONDERS,
    "Open, change, merge and split incidents of one's ward; add notes, tasks and evidence.",
)
define(
    "csirt.evidence.read",
    RESPONDERS,
    "Download evidence files of one's ward's incidents (every download is audited).",
)
define(
    "csirt.actions.request",
    RESPONDERS,
    "Ask for a containment action (isolate, block, disable, quarantine) at a ward.",
)
define(
    "csirt.actions.approve",
    {Role.ADMIN, Role.CSIRT, Role.WARD_IT},
    "Approve or reject someone else's disruptive containment action.",
)
define(
    "csirt.connectors.manage",
    {Role.ADMIN},
    "Configure the endpoints that carry out a ward's containment actions.",
)
define(
    "csirt.costs.read",
    {Role.ADMIN, Role.WARD_FINANCE, Role.EXECUTIVE, Role.CSIRT},
    "Read recorded security costs (standalone estimates, joint cost and its sharing).",
)
define(
    "csirt.costs.write",
    {Role.ADMIN, Role.WARD_FINANCE},
    "Record security cost figures of one's ward (the joint centre: its own cost and shares).",
)
