"""Who may run on call and read the delivery log (decided only by ``rengo.core.permissions``).

The action names keep their ``csirt.`` prefix from before messaging left the CSIRT, so
that audit records, role tables and API clients read the same.
"""

from rengo.core.permissions import STAFF_ROLES, Role, Scope, define

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
