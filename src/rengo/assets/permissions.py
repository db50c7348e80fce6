"""Who may read and change the register."""

from rengo.core.permissions import STAFF_ROLES, Role, define

define("assets.read", STAFF_ROLES, "Read the information asset register of one's ward.")
define("assets.write", {Role.ADMIN, Role.WARD_IT}, "Create and change assets of one's ward.")
