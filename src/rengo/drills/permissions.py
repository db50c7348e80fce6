"""Who may do what in joint cyber exercises (decided only by ``rengo.core.permissions``).

The planner and the joint admin run exercises; SOC analysts and CSIRT responders answer
them in their everyday pages; a ward sees the exercises it took part in; executives and
ward staff join tabletops.
"""

from rengo.core.permissions import Role, Scope, define

RUNNERS = {Role.ADMIN, Role.PLANNER}
TAKE_PART = RUNNERS | {Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT, Role.EXECUTIVE}

define(
    "drills.scenarios.read",
    TAKE_PART | {Role.DEPT_HEAD},
    "See the scenario library and validate scenarios.",
    Scope.GLOBAL,
)
define(
    "drills.exercises.run",
    RUNNERS,
    "Start, pause, resume, abort and purge exercises (the joint centre).",
    Scope.JOINT_ONLY,
)
define(
    "drills.exercises.read",
    TAKE_PART | {Role.DEPT_HEAD},
    "See exercises, their results and reports (a ward: those it took part in).",
)
define(
    "drills.tabletop.join",
    TAKE_PART | {Role.DEPT_HEAD, Role.POLICY},
    "Join a tabletop exercise of one's ward with one's account and answer its injects.",
)
define(
    "drills.followups.work",
    RUNNERS | {Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT},
    "Mark an exercise's follow-up task of one's ward done (with a note) or reopen it.",
)
define(
    "drills.followups.assign",
    RUNNERS,
    "Reassign a follow-up task to a ward or the joint centre and change its due date.",
    Scope.JOINT_ONLY,
)
