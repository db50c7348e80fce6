"""Who may do what with threat intelligence (decided by ``rengo.core.permissions``)."""

from rengo.core.permissions import Role, Scope, define

INTEL_READERS = {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT, Role.EXECUTIVE}
INTEL_WORKERS = {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT, Role.WARD_IT}

define("intel.read", INTEL_READERS, "Read shared threat intelligence (TLP decides which objects).")
define(
    "intel.public.read",
    frozenset(Role),
    "Read TLP:CLEAR intelligence of public collections (anyone, anonymous included).",
    Scope.GLOBAL,
)
define("intel.write", INTEL_WORKERS, "Add STIX objects to collections one may write.")
define("intel.delete", {Role.ADMIN, Role.SOC_ANALYST}, "Delete STIX objects from collections.")
define("intel.submit", INTEL_WORKERS, "Submit what one's ward saw for anonymised sharing.")
define("intel.submission.read", INTEL_WORKERS, "Read one's ward's submissions and originals.")
define("intel.approve", {Role.ADMIN, Role.WARD_IT}, "Approve the anonymised version for sharing.")
define(
    "intel.advisory.publish",
    {Role.ADMIN, Role.SOC_ANALYST, Role.CSIRT},
    "Publish advisories with countermeasures to the wards.",
    Scope.JOINT_ONLY,
)
define("intel.advisory.read", INTEL_READERS, "Read advisories sent to one's ward.")
define(
    "intel.advisory.respond",
    {Role.ADMIN, Role.WARD_IT},
    "Acknowledge an advisory and record when its countermeasure was applied.",
)
define("intel.sightings.read", INTEL_WORKERS, "See where shared indicators hit one's ward's logs.")
define(
    "intel.feeds.manage",
    {Role.ADMIN, Role.SOC_ANALYST},
    "Configure and pull national and vendor feeds; import files; run retro-hunts.",
    Scope.JOINT_ONLY,
)
