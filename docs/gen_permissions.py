"""Regenerate docs/permissions.md from the defined actions (descriptions live in the code).

.venv/bin/python docs/gen_permissions.py
"""

from __future__ import annotations

from pathlib import Path

from rengo.core.permissions import Permission, Scope, permissions
from rengo.domains import load_domains

INTRO = """# Permissions

Every action rengo checks, who may do it and over which data. Decisions are made only by
`rengo.core.permissions` (`define`, `require`, `allows`, `visible_tenants`): a role grants
an action; the scope says whose data it reaches. A ward's principal acts on its own ward's
data, the joint centre's on every ward's; another ward's object answers 404. Each domain
defines its actions in its own `permissions.py`.
This page is generated from the code by `docs/gen_permissions.py` (a test checks it is current).
"""
SCOPES = {
    Scope.TENANT: "own ward (joint centre: all)",
    Scope.JOINT_ONLY: "joint centre only",
    Scope.GLOBAL: "not tenant data",
}


def _row(p: Permission) -> str:
    roles = ", ".join(f"`{r.value}`" for r in sorted(p.roles, key=lambda r: r.value))
    return f"| `{p.action}` | {roles} | {SCOPES.get(p.scope, p.scope.value)} | {p.description} |"


def render() -> str:
    load_domains()  # the domains define their own actions
    groups: dict[str, list[Permission]] = {}
    for permission in permissions().values():
        groups.setdefault(permission.action.split(".")[0], []).append(permission)
    out = [INTRO]
    for group, rows in sorted(groups.items()):
        out += [f"## `{group}.*`", "", "| action | roles | scope | what it allows |"]
        out += ["| --- | --- | --- | --- |", *(_row(p) for p in rows), ""]
    return "\n".join(out)


if __name__ == "__main__":
    (Path(__file__).parent / "permissions.md").write_text(render(), "utf-8")
