"""Who may see the scoreboard: every member of staff (values are aggregates, not raw data)."""

from rengo.core.permissions import STAFF_ROLES, Scope, define

define("targets.read", STAFF_ROLES, "See the policy targets and their values.", Scope.GLOBAL)
