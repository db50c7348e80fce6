"""Who may see costs, change allocation, act on savings and keep the BPR and SaaS registers."""

from rengo.core.permissions import STAFF_ROLES, Role, Scope, define

COST_READERS = {Role.ADMIN, Role.WARD_FINANCE, Role.WARD_IT, Role.EXECUTIVE, Role.POLICY}
FINANCE = {Role.ADMIN, Role.WARD_FINANCE}

define("finops.costs.read", COST_READERS, "See the cloud costs of one's ward (joint: all wards).")
define(
    "finops.rows.read",
    FINANCE | {Role.WARD_IT},
    "Read and export the billing rows behind a figure (audited).",
)
define("finops.ingest", FINANCE, "Ingest billing exports into the cost lake.", Scope.JOINT_ONLY)
define(
    "finops.rules.manage",
    {Role.ADMIN, Role.WARD_FINANCE},
    "Change allocation rules, shared pools and exchange rates; rebuild the lake.",
    Scope.JOINT_ONLY,
)
define("finops.plan.write", FINANCE, "Enter baselines and budgets of one's ward.")
define("finops.alerts.update", FINANCE | {Role.WARD_IT}, "Acknowledge and resolve cost alerts.")
define(
    "finops.recommendations.update",
    FINANCE | {Role.WARD_IT},
    "Accept, reject and complete savings recommendations of one's ward.",
)
define("finops.scan", FINANCE, "Run the anomaly, budget and savings scans.", Scope.JOINT_ONLY)
define("finops.bpr.read", STAFF_ROLES, "Read one's ward's BPR register.")
define("finops.bpr.library", STAFF_ROLES, "Read BPR cases other wards shared.", Scope.GLOBAL)
define("finops.bpr.write", FINANCE | {Role.WARD_IT, Role.POLICY}, "Record BPR cases of one's ward.")
define(
    "finops.bpr.dispatch",
    {Role.ADMIN, Role.POLICY},
    "Run the BPR support team: assign experts to wards' requests, record visits and outcomes.",
    Scope.JOINT_ONLY,
)
define(
    "finops.saas.read",
    STAFF_ROLES,
    "Read the public SaaS list and joint procurements.",
    Scope.GLOBAL,
)
define(
    "finops.saas.write",
    FINANCE | {Role.WARD_IT},
    "Keep the public SaaS list, joint procurement records and trainings.",
    Scope.JOINT_ONLY,
)
define("finops.saas.use", FINANCE | {Role.WARD_IT}, "Record which SaaS one's ward uses.")
define(
    "finops.architecture.review",
    {Role.ADMIN, Role.POLICY, Role.WARD_IT},
    "Record the architecture review of one's ward's system before migration.",
)
