"""Who may draft, approve, read and evaluate policies, and who keeps training records.

A ward's policies are its own until approved (published): then every member of staff of
every ward may read them (``ebpm.policies.read_published``), so that wards learn from each
other's logic models.
"""

from rengo.core.permissions import STAFF_ROLES, Role, Scope, define
from rengo.ebpm.zone import permissions as _zone_permissions  # noqa: F401 - registers the zone's permissions

POLICY_STAFF = {Role.ADMIN, Role.POLICY}
READERS = STAFF_ROLES

define("ebpm.policies.read", READERS, "Read the policies and logic models of one's ward.")
define(
    "ebpm.policies.read_published",
    READERS,
    "Read approved (published) logic models of every ward.",
    Scope.GLOBAL,
)
define("ebpm.policies.write", POLICY_STAFF, "Draft and change policies and their logic models.")
define(
    "ebpm.policies.approve_dept",
    {Role.ADMIN, Role.DEPT_HEAD},
    "Approve or return a logic model as department head.",
)
define(
    "ebpm.policies.approve_budget",
    {Role.ADMIN, Role.BUDGET},
    "Approve or return a logic model as the ward's budget office.",
)
define("ebpm.policies.export", READERS, "Export a logic model (PDF, HTML, CSV, JSON).")
define("ebpm.evaluations.write", POLICY_STAFF, "Plan evaluations and run estimators.")
define("ebpm.surveys.read", READERS, "Read resident survey results of one's ward.")
define("ebpm.surveys.import", POLICY_STAFF, "Import resident survey results.")
define("ebpm.training.read", READERS, "Read courses and one's ward's completion rates.")
define(
    "ebpm.training.write",
    {Role.ADMIN, Role.HR},
    "Record training completions and staff counts; import the HR system's CSV.",
)
