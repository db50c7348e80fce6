"""One place decides: roles, tenancy, hiding other wards' objects."""

from __future__ import annotations

import pytest

from rengo.core.errors import Forbidden, NotFound
from rengo.core.permissions import (
    ANONYMOUS,
    Principal,
    Role,
    Scope,
    allows,
    define,
    narrow_to_visible,
    require,
    visible_tenants,
)
from rengo.core.wards import JOINT

define("test.thing.read", {Role.WARD_IT, Role.SOC_ANALYST}, "test")
define("test.joint.only", {Role.SOC_ANALYST}, "test", Scope.JOINT_ONLY)
define("test.public", {Role.PUBLIC, Role.WARD_IT}, "test", Scope.GLOBAL)

WARD_A, WARD_B = "131016", "131024"
it_a = Principal(WARD_A, Role.WARD_IT)
soc_joint = Principal(JOINT, Role.SOC_ANALYST)
finance_a = Principal(WARD_A, Role.WARD_FINANCE)


def test_a_ward_acts_on_its_own_ward_only() -> None:
    assert allows(it_a, "test.thing.read", WARD_A)
    assert not allows(it_a, "test.thing.read", WARD_B)
    assert allows(it_a, "test.thing.read", [WARD_B, WARD_A])  # shared with both wards
    assert not allows(finance_a, "test.thing.read", WARD_A)  # role lacks it


def test_the_joint_centre_acts_on_every_ward() -> None:
    assert allows(soc_joint, "test.thing.read", WARD_B)
    assert visible_tenants(soc_joint, "test.thing.read") is None
    assert visible_tenants(it_a, "test.thing.read") == frozenset({WARD_A})


def test_joint_only_and_global_scopes() -> None:
    assert allows(soc_joint, "test.joint.only")
    assert not allows(Principal(WARD_A, Role.SOC_ANALYST), "test.joint.only")
    assert allows(ANONYMOUS, "test.public", WARD_B)


def test_require_hides_other_wards_objects_as_not_found() -> None:
    with pytest.raises(NotFound):
        require(it_a, "test.thing.read", WARD_B, hide=True)
    with pytest.raises(Forbidden):
        require(it_a, "test.thing.read", WARD_B)
    with pytest.raises(Forbidden):
        visible_tenants(finance_a, "test.thing.read")


def test_narrowing_a_requested_ward() -> None:
    assert narrow_to_visible(it_a, "test.thing.read", None) == frozenset({WARD_A})
    assert narrow_to_visible(soc_joint, "test.thing.read", WARD_B) == frozenset({WARD_B})
    with pytest.raises(Forbidden):
        narrow_to_visible(it_a, "test.thing.read", WARD_B)


def test_undefined_or_conflicting_permissions_are_programming_errors() -> None:
    with pytest.raises(KeyError, match="undefined permission"):
        allows(it_a, "test.nope")
    define("test.thing.read", {Role.WARD_IT, Role.SOC_ANALYST}, "test")  # same again: fine
    with pytest.raises(ValueError, match="defined twice"):
        define("test.thing.read", {Role.ADMIN}, "test")
