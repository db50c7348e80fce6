"""Allocation: which ward and business system each cost row belongs to, and shared-cost splits.

Rules (first match by priority wins) look at accounts, subscriptions/projects, tags,
resource names or ids, services. A rule names a ward and system, takes them from the
matched value (a ``ward`` tag holding 千代田区 or 131016), or sends the row to a shared
pool. Pools are split between their wards evenly, by population, or in proportion to
the wards' directly allocated cost of the same month (the OpenCost way). Rows no rule
matches stay *unallocated* and are shown as such — never dropped, never spread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Literal, get_args

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.errors import InvalidInput, Problem
from rengo.core.sql import json_member_path, literal
from rengo.core.types import TenantCode
from rengo.core.wards import wards

AllocationField = Literal[
    "billing_account",
    "sub_account",
    "sub_account_name",
    "resource_id",
    "resource_name",
    "service",
    "provider",
    "region",
    "tag",
    "resource_group",
]
FIELDS: dict[str, str] = {
    "billing_account": "BillingAccountId",
    "sub_account": "SubAccountId",
    "sub_account_name": "SubAccountName",
    "resource_id": "ResourceId",
    "resource_name": "ResourceName",
    "service": "ServiceName",
    "provider": "ProviderName",
    "region": "RegionId",
    "tag": "Tags",
    "resource_group": "x_Custom",
}
AllocationMethod = Literal["even", "population", "usage"]
METHODS: tuple[str, ...] = get_args(AllocationMethod)
UNALLOCATED = "unallocated"


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    priority: int
    field: str
    pattern: str
    tag_key: str | None = None
    ward: TenantCode | None = None
    ward_from_value: bool = False
    business_system: str | None = None
    system_from_value: bool = False
    shared_pool: str | None = None

    def check(self) -> list[Problem]:
        problems = []
        where = f"rule {self.id}"
        if self.field not in FIELDS:
            problems.append(Problem(f"field must be one of {', '.join(FIELDS)}", where))
        if self.field == "tag" and not self.tag_key:
            problems.append(Problem("a tag rule names its tag_key", where))
        if not self.pattern:
            problems.append(Problem("pattern is empty", where))
        if not (
            self.ward
            or self.ward_from_value
            or self.shared_pool
            or self.business_system
            or self.system_from_value
        ):
            problems.append(Problem("give a ward, a business system or a shared pool", where))
        if self.business_system and self.business_system not in BUSINESS_SYSTEMS:
            problems.append(Problem(f"unknown business system {self.business_system!r}", where))
        return problems

    def value_sql(self) -> str:
        if self.field == "tag":
            return f"json_extract_string(Tags, {json_member_path(self.tag_key or '')})"
        if self.field == "resource_group":
            return "json_extract_string(x_Custom, '$.x_ResourceGroup')"
        return FIELDS[self.field]

    def condition_sql(self) -> str:
        return f"({self.value_sql()} GLOB {literal(self.pattern)})"


def ward_lookup_sql(value: str) -> str:
    """Ward code from a value holding a ward code, romaji, or kanji name (with or without 区)."""
    cases = []
    for w in wards():
        for name in {w.code, w.slug, w.name_ja, w.name_ja.removesuffix("区")}:
            cases.append(f"WHEN {literal(name.lower())} THEN {literal(w.code)}")
    return f"(CASE lower(trim({value})) {' '.join(cases)} END)"


def system_lookup_sql(value: str) -> str:
    cases = []
    for key, term in BUSINESS_SYSTEMS.items():
        for name in {key, term.ja, term.en.lower()}:
            cases.append(f"WHEN {literal(name.lower())} THEN {literal(key)}")
    return f"(CASE lower(trim({value})) {' '.join(cases)} END)"


def allocation_columns(rules: list[Rule]) -> dict[str, str]:
    """SQL for x_Ward, x_BusinessSystem, x_SharedPool, x_AllocationRule (over FOCUS columns)."""
    ordered = sorted(rules, key=lambda r: (r.priority, r.id))
    null = "CAST(NULL AS VARCHAR)"
    # Ward (or pool) and business system are decided independently: the first rule that
    # says where a row's ward is wins for the ward, the first that names a system for it.
    placing = [r for r in ordered if r.ward or r.ward_from_value or r.shared_pool]
    naming = [r for r in ordered if r.business_system or r.system_from_value]

    def case(over: list[Rule], make: Callable[[Rule], str]) -> str:
        if not over:
            return null
        parts = " ".join(f"WHEN {r.condition_sql()} THEN {make(r)}" for r in over)
        return f"CAST((CASE {parts} END) AS VARCHAR)"

    def ward(r: Rule) -> str:
        if r.shared_pool:
            return "NULL"
        if r.ward_from_value:
            return ward_lookup_sql(r.value_sql())
        return literal(r.ward) if r.ward else "NULL"

    def system(r: Rule) -> str:
        if r.system_from_value:
            return system_lookup_sql(r.value_sql())
        return literal(r.business_system) if r.business_system else "NULL"

    return {
        "x_Ward": case(placing, ward),
        "x_BusinessSystem": case(naming, system),
        "x_SharedPool": case(
            placing, lambda r: literal(r.shared_pool) if r.shared_pool else "NULL"
        ),
        "x_AllocationRule": case(placing, lambda r: str(r.id)),
    }


ALLOCATION_COLUMNS = ("x_Ward", "x_BusinessSystem", "x_SharedPool", "x_AllocationRule")


def key_columns(rules: list[Rule]) -> list[str]:
    """The lake columns the rules look at: allocation depends on nothing else."""
    return sorted({FIELDS[r.field] for r in rules if r.field in FIELDS})


def allocate_keys_sql(rules: list[Rule], src: str) -> str:
    """SELECT of every distinct combination of the key columns in ``src`` with its allocation.

    Rules are evaluated once per combination (a few thousand) instead of once per row (a
    million): the rows then take their allocation by a hash join on the key columns, as
    ``__k_<column>`` = value and ``__x_Ward`` … columns.
    """
    keys = key_columns(rules)
    alloc = allocation_columns(rules)
    listing = ", ".join(keys)
    return (
        "SELECT "  # noqa: S608 - relations and columns named by code, values quoted by core.sql
        + ", ".join(
            [*(f"{k} AS __k_{k}" for k in keys), *(f"{e} AS __{n}" for n, e in alloc.items())]
        )
        + f" FROM (SELECT DISTINCT {listing} FROM {src})"  # noqa: S608 - relations and columns named by code, values quoted by core.sql
    )


def join_keys_sql(rules: list[Rule], row: str, alloc: str) -> str:
    """The join condition of rows (alias ``row``) to their allocation (alias ``alloc``)."""
    return " AND ".join(
        f"{row}.{k} IS NOT DISTINCT FROM {alloc}.__k_{k}" for k in key_columns(rules)
    )


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    method: str
    wards: tuple[str, ...]
    """Member wards; empty means all 23."""

    def members(self) -> tuple[str, ...]:
        return self.wards or tuple(w.code for w in wards())


def pool_weights(
    pool: Pool,
    *,
    populations: dict[str, int],
    direct_cost: dict[str, float],
) -> dict[str, Fraction]:
    """Exact shares of ``pool`` per member ward; they sum to exactly 1."""
    members = pool.members()
    if pool.method not in METHODS:
        raise InvalidInput(
            f"pool {pool.name}", [Problem(f"method must be one of {', '.join(METHODS)}", "method")]
        )
    if pool.method == "population":
        basis = {w: Fraction(populations.get(w, 0)) for w in members}
    elif pool.method == "usage":
        basis = {w: Fraction(max(direct_cost.get(w, 0.0), 0.0)) for w in members}
    else:
        basis = {w: Fraction(1) for w in members}
    total = sum(basis.values())
    if total == 0:  # no population/usage known: fall back to an even split, never lose cost
        basis, total = {w: Fraction(1) for w in members}, Fraction(len(members))
    return {w: b / total for w, b in basis.items()}


def split_exact(
    amount: Decimal, weights: dict[str, Fraction], minor_unit: Decimal
) -> dict[str, Decimal]:
    """Split ``amount`` by ``weights`` in whole minor units (yen, cents), summing exactly to it.

    Largest remainder: each share is rounded down, then the units left over go to the
    largest remainders (ties by ward code), so that the parts add up to the rounded total.
    """
    total_units = int((amount / minor_unit).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    raw = {w: Fraction(total_units) * f for w, f in weights.items()}
    floors = {w: (r.numerator // r.denominator) for w, r in raw.items()}
    left = total_units - sum(floors.values())
    order = sorted(raw, key=lambda w: (-(raw[w] - floors[w]), w))
    for w in order[: abs(left)]:
        floors[w] += 1 if left > 0 else -1
    return {w: Decimal(units) * minor_unit for w, units in floors.items()}
