"""TLP 2.0 on every read path: which objects a principal may see.

One rule, in one form: ``visible_clause`` narrows every SQL query.
The role part of the decision is ``rengo.core.permissions`` ('intel.read'); TLP adds who
in the community may see which level (see ``rengo.intel.tlp``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_

from rengo.core.permissions import Principal, allows
from rengo.core.types import TenantCode
from rengo.intel.tlp import TLP

COMMUNITY_LEVELS = (TLP.CLEAR.value, TLP.GREEN.value)
OWNER_ONLY_LEVELS = (TLP.AMBER_STRICT.value, TLP.RED.value)


def audience_text(wards: list[TenantCode] | None) -> str:
    """The stored form of an AMBER audience (',131016,131024,'); '' for every ward."""
    return "," + ",".join(sorted(set(wards))) + "," if wards else ""


def visible_clause(principal: Principal, model: Any) -> ColumnElement[bool]:
    """SQL condition on a table with tlp/owner/audience_all/audience columns."""
    if not allows(principal, "intel.read"):
        if allows(principal, "intel.public.read"):
            return model.tlp == TLP.CLEAR.value  # type: ignore[no-any-return]
        return false()
    amber = model.tlp == TLP.AMBER.value
    if not principal.is_joint:
        amber = amber & (
            (model.owner == principal.tenant)
            | model.audience_all.is_(True)
            | model.audience.contains(f",{principal.tenant},")
        )
    owner_only = model.tlp.in_(OWNER_ONLY_LEVELS) & (model.owner == principal.tenant)
    return or_(model.tlp.in_(COMMUNITY_LEVELS), amber, owner_only)
