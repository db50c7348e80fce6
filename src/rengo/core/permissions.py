"""The one place that decides every permission.

Each domain *defines* its actions (``define("soc.events.read", roles=…)``) in its own
``permissions`` module; every decision goes through ``allows`` / ``require`` /
``visible_tenants`` here. Tenancy is part of every decision: a ward's principal acts on
its own ward only, the joint centre's on every ward.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from rengo.core.errors import Forbidden, NotFound
from rengo.core.types import TenantCode
from rengo.core.vocabulary import Term, vocabulary
from rengo.core.wards import JOINT


class Role(enum.StrEnum):
    ADMIN = "admin"
    SOC_ANALYST = "soc_analyst"
    CSIRT = "csirt"
    WARD_IT = "ward_it"
    WARD_FINANCE = "ward_finance"
    POLICY = "policy"
    EXECUTIVE = "executive"
    PLANNER = "planner"
    """Exercise planner: builds scenarios and runs exercises."""
    OPENDATA = "opendata"
    """Open-data officer: publishes the ward's datasets."""
    JUDGE = "judge"
    """Contest judge: scores contest entries."""
    DEPT_HEAD = "dept_head"
    """Department head: approves logic models."""
    BUDGET = "budget"
    """Budget office: approves logic models attached to budget requests."""
    HR = "hr"
    """HR and training staff: courses and completion records."""
    DATA_OWNER = "data_owner"
    """Department data owner: deposits extracts into the linkage zone."""
    PRIVACY_OFFICER = "privacy_officer"
    """Privacy officer: approves deposits, purposes and releases."""
    ZONE_ANALYST = "zone_analyst"
    """Analyst inside the data-linkage zone."""
    AUDITOR = "auditor"
    """Auditor: reads the audit trail."""
    PUBLIC = "public"
    """Anonymous visitors of public pages (open data portal, public API)."""


STAFF_ROLES = frozenset(Role) - {Role.PUBLIC}
ROLE_NAMES = vocabulary(
    Term(Role.ADMIN, "管理者", "Administrator"),
    Term(Role.SOC_ANALYST, "SOCアナリスト", "SOC analyst"),
    Term(Role.CSIRT, "CSIRT対応者", "CSIRT responder"),
    Term(Role.WARD_IT, "情報システム担当", "IT staff"),
    Term(Role.WARD_FINANCE, "財政・企画担当", "Finance and planning staff"),
    Term(Role.POLICY, "政策担当", "Policy staff"),
    Term(Role.EXECUTIVE, "幹部", "Executive"),
    Term(Role.PLANNER, "演習企画担当", "Exercise planner"),
    Term(Role.OPENDATA, "オープンデータ担当", "Open-data officer"),
    Term(Role.JUDGE, "コンテスト審査員", "Contest judge"),
    Term(Role.DEPT_HEAD, "所属長", "Department head"),
    Term(Role.BUDGET, "予算担当", "Budget office"),
    Term(Role.HR, "人事・研修担当", "HR and training staff"),
    Term(Role.DATA_OWNER, "データ所管課", "Data owner"),
    Term(Role.PRIVACY_OFFICER, "個人情報保護担当", "Privacy officer"),
    Term(Role.ZONE_ANALYST, "連携基盤分析担当", "Linkage-zone analyst"),
    Term(Role.AUDITOR, "監査担当", "Auditor"),
    Term(Role.PUBLIC, "一般", "Public"),
)
"""Each role's name in Japanese and English (pages, the demo's display names)."""


class Scope(enum.StrEnum):
    TENANT = "tenant"
    """The object belongs to one or more tenants; a ward principal needs to be one of them."""
    JOINT_ONLY = "joint_only"
    """Only principals of the joint centre."""
    GLOBAL = "global"
    """Not tenant data (reference data, the public portal)."""


@dataclass(frozen=True, slots=True)
class Permission:
    action: str
    roles: frozenset[Role]
    scope: Scope
    description: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a logged-in user, an API token, or the anonymous public."""

    tenant: TenantCode
    role: Role
    user_id: int | None = None
    token_id: int | None = None
    username: str | None = None

    @property
    def is_joint(self) -> bool:
        return self.tenant == JOINT

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.PUBLIC

    @property
    def label(self) -> str:
        """Who, as the audit log and every "by" column show it.

        A user's username; a personal token shows its user and the token's number (never
        its name: a ward_it token named 'chiyoda.admin' must not pose as one); a service
        token (no user; made by an administrator) its name or number.
        """
        who = self.username or (f"token #{self.token_id}" if self.token_id else "anonymous")
        label = f"{who} ({self.role.value}@{self.tenant})"
        if self.user_id is not None and self.token_id:
            label += f" via token #{self.token_id}"
        return label


ANONYMOUS = Principal(tenant=JOINT, role=Role.PUBLIC)
SYSTEM = Principal(tenant=JOINT, role=Role.ADMIN, username="system")
"""rengo itself (schedulers, demo loader, CLI run by the operator on the server)."""

_registry: dict[str, Permission] = {}


def define(
    action: str,
    roles: Iterable[Role],
    description: str,
    scope: Scope = Scope.TENANT,
) -> Permission:
    """Declare an action and who may do it; called once per action at import time."""
    permission = Permission(action, frozenset(roles), scope, description)
    existing = _registry.get(action)
    if existing is not None and existing != permission:
        raise ValueError(f"permission {action!r} defined twice with different rules")
    _registry[action] = permission
    return permission


def permissions() -> dict[str, Permission]:
    return dict(sorted(_registry.items()))


def _lookup(action: str) -> Permission:
    try:
        return _registry[action]
    except KeyError:
        raise KeyError(f"undefined permission {action!r}: define() it first") from None


def allows(
    principal: Principal,
    action: str,
    tenant: TenantCode | Iterable[TenantCode] | None = None,
) -> bool:
    """May ``principal`` do ``action`` on data of ``tenant`` (one, several, or none given)?"""
    permission = _lookup(action)
    if principal.role not in permission.roles:
        return False
    if permission.scope is Scope.GLOBAL:
        return True
    if permission.scope is Scope.JOINT_ONLY:
        return principal.is_joint
    if principal.is_joint or tenant is None:
        return True
    tenants = {tenant} if isinstance(tenant, str) else set(tenant)
    return principal.tenant in tenants


def require(
    principal: Principal,
    action: str,
    tenant: TenantCode | Iterable[TenantCode] | None = None,
    *,
    hide: bool = False,
) -> None:
    """Raise unless allowed. ``hide=True`` answers 404 so that ids of other wards leak nothing."""
    if allows(principal, action, tenant):
        return
    if hide:
        raise NotFound("not found")
    raise Forbidden(f"{principal.role.value} of {principal.tenant} may not {action}")


def visible_tenants(principal: Principal, action: str) -> frozenset[TenantCode] | None:
    """Tenants whose data ``principal`` may see for ``action``; ``None`` means all of them.

    Raises ``Forbidden`` when the role may not do ``action`` at all.
    """
    require(principal, action)
    permission = _lookup(action)
    if principal.is_joint or permission.scope is Scope.GLOBAL:
        return None
    return frozenset({principal.tenant})


def narrow_to_visible(
    principal: Principal, action: str, requested: TenantCode | None
) -> frozenset[TenantCode] | None:
    """The tenants a query should cover: the requested one if allowed, else what is visible."""
    visible = visible_tenants(principal, action)
    if requested is None:
        return visible
    if visible is not None and requested not in visible:
        raise Forbidden(f"{principal.tenant} may not read data of {requested}")
    return frozenset({requested})


# Core's own actions.
define("audit.read", {Role.ADMIN}, "Read and export the audit log.")
define("audit.verify", {Role.ADMIN}, "Verify the audit log's hash chain.", Scope.JOINT_ONLY)
define("users.manage", {Role.ADMIN}, "Create, change and disable user accounts.")
define("tokens.manage", {Role.ADMIN}, "Create and revoke API tokens for others.")
define("tokens.self", STAFF_ROLES, "Create and revoke one's own API tokens.")
define("wards.read", frozenset(Role), "Read the reference data of the wards.", Scope.GLOBAL)
