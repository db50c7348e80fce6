"""Who may read, publish and curate on the open-data portal."""

from rengo.core.permissions import Role, Scope, define

define(
    "opendata.read",
    frozenset(Role),
    "Read the public catalogue, its records and downloads (everyone, no login).",
    Scope.GLOBAL,
)
define(
    "opendata.publish",
    {Role.ADMIN, Role.OPENDATA},
    "Publish, change and withdraw the datasets of one's ward.",
)
define(
    "opendata.curate",
    {Role.ADMIN},
    "Curate the catalogue of every ward and moderate reuses.",
    Scope.JOINT_ONLY,
)
define(
    "opendata.quality.read",
    {Role.ADMIN, Role.OPENDATA, Role.POLICY, Role.EXECUTIVE},
    "See the metadata-quality dashboard of every ward (public metadata, staff view).",
    Scope.GLOBAL,
)
define(
    "opendata.reuse.submit",
    frozenset(Role),
    "Tell the portal about an app, API, visualisation, idea or article built on its data.",
    Scope.GLOBAL,
)
define(
    "opendata.contest.enter",
    frozenset(Role),
    "Enter the yearly contest with an idea or app.",
    Scope.GLOBAL,
)
define(
    "opendata.contest.judge",
    {Role.JUDGE, Role.ADMIN},
    "Score contest entries by the edition's criteria.",
    Scope.GLOBAL,
)
