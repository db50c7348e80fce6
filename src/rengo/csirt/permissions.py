"""Who may do what in the joint CSIRT (decided only by ``rengo.core.permissions``)."""

from rengo.core.permissions import STAFF_ROLES, Role, Scope, define

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
define("csirt.oncall.read", STAFF_ROLES, "See on-call rotas, who is on call, and pages.")
define(
    "csirt.oncall.manage",
    {Role.ADMIN, Role.CSIRT},
    "Create teams, shifts and escalation rules; page a team; record hand-overs.",
)
define(
    "csirt.deliveries.read",
    {Role.ADMIN, Role.CSIRT},
    "Read the notification delivery log of one's ward.",
)
define(
    "csirt.deliveries.retry",
    {Role.ADMIN, Role.CSIRT},
    "Send a failed notification of one's ward again.",
)
define(
    "csirt.deliveries.send",
    {Role.ADMIN},
    "Send due notifications and run escalations now (the worker does it on its own).",
    Scope.JOINT_ONLY,
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
