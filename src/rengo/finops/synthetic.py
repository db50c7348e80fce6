"""Realistic FOCUS 1.2 cost data for the wards' business systems (demo, tests, benchmarks).

Each ward runs its standard business systems on the Government Cloud from a migration
month on, on AWS, Azure, Google Cloud or OCI, one billing account per ward and provider
(as the Government Cloud issues them), one sub-account per system. Daily rows per
resource: application servers (with ``x_CpuUtilization``), a database, storage with
its request charges, data transfer. The joint centre's account carries shared network
and platform costs, tagged for the shared pools. Billed in JPY with USD pricing
(PricingCurrency), except OCI which bills in USD. Planted on purpose: spikes, a
forgotten resource (level shift), idle volumes and servers, non-production servers
running around the clock, and a little untagged (unallocated) cost.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pyarrow as pa

from rengo.assets.reference import BUSINESS_SYSTEMS
from rengo.core.types import TenantCode
from rengo.core.wards import wards
from rengo.finops import focus
from rengo.finops.anomaly import is_off_day

PROVIDERS = {
    "AWS": ("ap-northeast-1", "Asia Pacific (Tokyo)", "JPY", "Amazon Web Services, Inc."),
    "Microsoft": ("japaneast", "Japan East", "JPY", "Microsoft"),
    "Google Cloud": ("asia-northeast1", "Tokyo", "JPY", "Google Cloud"),
    "Oracle": ("ap-tokyo-1", "Japan East (Tokyo)", "USD", "Oracle"),
}
SYSTEM_WEIGHT = {key: 0.6 + 0.08 * (i % 7) for i, key in enumerate(BUSINESS_SYSTEMS)}
USD_JPY = 150.0
JOINT_ACCOUNT = "gc-joint-centre"


@dataclass(frozen=True, slots=True)
class Resource:
    ward: TenantCode
    system: str
    provider: str
    account: str
    sub_account: str
    resource_id: str
    service: str
    category: str
    unit: str
    daily_cost: float
    frequency: str = "Usage-Based"
    weekday_factor: float = 1.0
    env: str = "prod"
    cpu: float | None = None
    usage_per_yen: float = 0.0
    """Usage-based quantity per yen (0 = provisioned capacity, quantity = hours)."""
    starts: int = 0
    ends: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Plan:
    """What was planted, so that tests can check it is found."""

    spikes: list[tuple[str, str, date]]
    shifts: list[tuple[str, str, date]]
    idle: list[str]
    nonprod: list[str]
    oversized: list[str]
    cold: list[str] = field(default_factory=list)
    fixed: dict[str, int] = field(default_factory=dict)
    """Resources removed after a recommendation: resource id -> day index of removal."""


def _provider_for(ward_index: int, system_index: int) -> str:
    names = list(PROVIDERS)
    return names[(ward_index + system_index) % 7 % len(names)] if system_index % 5 else "AWS"


def resources(
    ward_codes: list[str], systems: list[str], days: int, rng: random.Random, pops: dict[str, int]
) -> tuple[list[Resource], Plan]:
    out: list[Resource] = []
    plan = Plan([], [], [], [], [])
    for wi, ward in enumerate(ward_codes):
        scale = (pops.get(ward, 300_000) / 300_000) ** 0.8
        for si, system in enumerate(systems):
            provider = _provider_for(wi, si)
            account = f"gc-payer-{provider.split()[0].lower()}"  # the organisation payer account
            sub = f"{ward}-{system}"
            base = 9_000 * scale * SYSTEM_WEIGHT[system] * rng.uniform(0.8, 1.2)
            migrate = rng.randint(0, max(0, days // 3))
            tags = {"ward": ward, "system": system}

            def add(
                suffix: str,
                service: str,
                category: str,
                unit: str,
                share: float,
                *,
                frequency: str = "Usage-Based",
                weekday_factor: float = 1.0,
                env: str = "prod",
                cpu: float | None = None,
                usage_per_yen: float = 0.0,
                ends: int | None = None,
            ) -> None:
                # A volume's request charges carry the volume's own resource id.
                rid = f"{provider.split()[0].lower()}:{sub}:{suffix.removesuffix('-io')}"  # noqa: B023
                out.append(
                    Resource(
                        ward,  # noqa: B023
                        system,  # noqa: B023
                        provider,  # noqa: B023
                        account,  # noqa: B023
                        sub,  # noqa: B023
                        rid,
                        service,
                        category,
                        unit,
                        base * share,  # noqa: B023
                        frequency=frequency,
                        weekday_factor=weekday_factor,
                        env=env,
                        cpu=cpu,
                        usage_per_yen=usage_per_yen,
                        starts=migrate,  # noqa: B023
                        ends=ends,
                        tags={**tags, "env": env},  # noqa: B023
                    )
                )

            add(
                "app-1",
                "Virtual Machines",
                "Compute",
                "Hours",
                0.35,
                weekday_factor=0.55,
                cpu=rng.uniform(25, 60),
            )
            add("db-1", "Managed Database", "Databases", "Hours", 0.3)
            add("vol-1", "Block Storage", "Storage", "GB-Months", 0.15, frequency="Recurring")
            add("vol-1-io", "Block Storage", "Storage", "Requests", 0.02, usage_per_yen=40.0)
            add(
                "egress",
                "Data Transfer",
                "Networking",
                "GB",
                0.08,
                weekday_factor=0.4,
                usage_per_yen=0.1,
            )
            if (wi + si) % 11 == 3:
                add(
                    "stg-app",
                    "Virtual Machines",
                    "Compute",
                    "Hours",
                    0.25,
                    env="stg",
                    cpu=rng.uniform(5, 15),
                )
                plan.nonprod.append(out[-1].resource_id)
            if (wi * 3 + si) % 17 == 5:
                # Every other one is found and deleted 45 days before the data ends.
                ends = days - 45 if wi % 2 == 0 else None
                add(
                    "vol-old",
                    "Block Storage",
                    "Storage",
                    "GB-Months",
                    0.12,
                    frequency="Recurring",
                    ends=ends,
                )
                add(
                    "vol-old-io",
                    "Block Storage",
                    "Storage",
                    "Requests",
                    0.0001,
                    usage_per_yen=0.0,
                    ends=ends,
                )
                if ends is not None:
                    plan.fixed[out[-1].resource_id] = ends
                plan.idle.append(out[-2].resource_id)
            if (wi + si) % 19 == 2:
                add(
                    "vol-archive",
                    "Block Storage",
                    "Storage",
                    "GB-Months",
                    0.2,
                    frequency="Recurring",
                )
                add(
                    "vol-archive-io",
                    "Block Storage",
                    "Storage",
                    "Requests",
                    0.001,
                    usage_per_yen=0.05,
                )
                plan.cold.append(out[-2].resource_id)
            if (wi + 2 * si) % 13 == 7:
                add("app-big", "Virtual Machines", "Compute", "Hours", 0.3, cpu=rng.uniform(3, 9))
                plan.oversized.append(out[-1].resource_id)
    return out, plan


def _rows_for(
    res: Resource, off_days: np.ndarray, rng: np.random.Generator, growth: float
) -> dict[str, np.ndarray] | None:
    """Daily cost of one resource; ``off_days[i]`` says whether day i is a weekend/holiday."""
    days = off_days.size
    start = max(res.starts, 0)
    end = days if res.ends is None else min(days, res.ends)
    if end <= start:
        return None
    idx = np.arange(start, end)
    factor = np.where(off_days[idx], res.weekday_factor, 1.0)
    cost: np.ndarray = (
        res.daily_cost * factor * (1 + growth) ** (idx / 30.0) * (1 + rng.normal(0, 0.04, idx.size))
    )
    cost = np.round(np.maximum(cost, 0.0), 2)
    return {"idx": idx, "cost": cost}


def generate(
    *,
    end: date,
    months: int = 24,
    ward_codes: list[str] | None = None,
    systems: list[str] | None = None,
    seed: int = 2026,
    pops: dict[str, int] | None = None,
    growth: float = 0.004,
    joint_soc: bool = False,
) -> tuple[Iterator[tuple[str, str, pa.Table]], Plan]:
    """Tables of FOCUS rows per (provider, billing month), and what was planted.

    ``joint_soc`` adds the joint SOC/CSIRT's own cloud (its SIEM and log store), tagged for
    the shared pool ``joint-soc``."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    ward_codes = ward_codes or [w.code for w in wards()]
    systems = systems or list(BUSINESS_SYSTEMS)
    pops = pops or {w.code: w.population for w in wards()}
    first = date(end.year, end.month, 1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    days = (end - first).days + 1
    res, plan = resources(ward_codes, systems, days, rng, pops)
    shared = [
        Resource(
            "",
            "",
            "AWS",
            JOINT_ACCOUNT,
            "joint-network",
            "aws:joint:tgw",
            "Transit Gateway",
            "Networking",
            "Hours",
            60_000.0 * len(ward_codes) / 23,
            tags={"shared": "gc-network"},
        ),
        Resource(
            "",
            "",
            "AWS",
            JOINT_ACCOUNT,
            "joint-platform",
            "aws:joint:ops",
            "Monitoring",
            "Management and Governance",
            "Hours",
            25_000.0 * len(ward_codes) / 23,
            tags={"shared": "common-platform"},
        ),
        Resource(
            "",
            "",
            "AWS",
            JOINT_ACCOUNT,
            "joint-legacy",
            "aws:joint:untagged-nat",
            "NAT Gateway",
            "Networking",
            "Hours",
            3_000.0,
        ),
    ]
    if joint_soc:
        shared.append(
            Resource(
                "",
                "",
                "AWS",
                JOINT_ACCOUNT,
                "joint-soc",
                "aws:joint:siem",
                "Security Lake",
                "Security",
                "Hours",
                400_000.0 * len(ward_codes) / 23,
                tags={"shared": "joint-soc"},
            )
        )
    all_res = [*res, *shared]
    spike_days: dict[str, list[int]] = {}
    if res:
        for k in range(3):
            victim = res[(k * 37 + 5) % len(res)]
            low = max(victim.starts + 40, days // 2)
            if low > days - 5:
                continue
            day = rng.randint(low, days - 5)
            spike_days.setdefault(victim.resource_id, []).append(day)
            plan.spikes.append((victim.ward, victim.system, first + timedelta(days=day)))
        target = res[len(res) // 2]
        start = rng.randint(min(max(target.starts + 45, days - 120), days - 25), days - 25)
        forgotten = Resource(
            target.ward,
            target.system,
            target.provider,
            target.account,
            target.sub_account,
            target.resource_id.rsplit(":", 1)[0] + ":test-gpu-forgotten",
            "Virtual Machines",
            "Compute",
            "Hours",
            max(15_000.0, target.daily_cost * 2),
            starts=start,
            cpu=2.0,
            tags={**target.tags, "env": "test"},
        )
        all_res.append(forgotten)
        plan.shifts.append((target.ward, target.system, first + timedelta(days=start)))
    generated = []
    off_days = np.array([is_off_day(first + timedelta(days=i)) for i in range(days)])
    for r in all_res:
        rows = _rows_for(r, off_days, nrng, growth)
        if rows is None:
            continue
        for d in spike_days.get(r.resource_id, []):
            hit = rows["idx"] == d
            rows["cost"][hit] += max(60_000.0, r.daily_cost * 6)
        generated.append((r, rows))

    def tables() -> Iterator[tuple[str, str, pa.Table]]:
        month = first
        while month <= end:
            nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
            lo, hi = (month - first).days, (nxt - first).days
            for provider in PROVIDERS:
                table = _table(generated, provider, first, lo, hi, month, nxt)
                if table is not None:
                    yield provider, month.strftime("%Y-%m"), table
            month = nxt

    return tables(), plan


def _iso(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def _table(
    generated: list[tuple[Resource, dict[str, np.ndarray]]],
    provider: str,
    first: date,
    lo: int,
    hi: int,
    month: date,
    nxt: date,
) -> pa.Table | None:
    """The FOCUS rows of one provider and billing month, built column by column (vectorised:
    per-resource values are taken by a row→resource index)."""
    region, region_name, currency, issuer = PROVIDERS[provider]
    chosen: list[Resource] = []
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    for r, rows in generated:
        if r.provider != provider:
            continue
        sel = (rows["idx"] >= lo) & (rows["idx"] < hi)
        if sel.any():
            chosen.append(r)
            parts.append((rows["idx"][sel], rows["cost"][sel]))
    if not chosen:
        return None
    ri = pa.array(
        np.concatenate([np.full(i.size, k, dtype=np.int32) for k, (i, _c) in enumerate(parts)])
    )
    idx = np.concatenate([i for i, _c in parts])
    cost_jpy = np.concatenate([c for _i, c in parts])
    n = idx.size

    def per_resource(values: Sequence[object], kind: pa.DataType = pa.string()) -> pa.Array:
        return pa.array(values, type=kind).take(ri)

    def const(value: object) -> pa.Array:
        return pa.array([value], type=pa.string()).take(pa.array(np.zeros(n, dtype=np.int32)))

    cost = np.round(cost_jpy / USD_JPY if currency == "USD" else cost_jpy, 4)
    upy = np.array([r.usage_per_yen for r in chosen])[ri.to_numpy()]
    unit = np.array([r.unit for r in chosen])[ri.to_numpy()]
    qty = np.where(
        (upy > 0) | (unit == "Requests"),
        np.round(cost_jpy * upy, 3),
        np.where(unit == "Hours", 24.0, 500.0 / 30),
    )
    day0 = np.datetime64(first.isoformat(), "s")
    starts = day0 + idx.astype("timedelta64[D]").astype("timedelta64[s]")
    ts = pa.timestamp("s", tz="UTC")
    tags = [json.dumps(r.tags, ensure_ascii=False) if r.tags else None for r in chosen]
    columns: dict[str, pa.Array] = {
        "BillingAccountId": per_resource([r.account for r in chosen]),
        "BillingAccountName": per_resource([r.account for r in chosen]),
        "BillingAccountType": const("Billing Account"),
        "BillingCurrency": const(currency),
        "BillingPeriodStart": pa.array(np.full(n, np.datetime64(month.isoformat(), "s")), ts),
        "BillingPeriodEnd": pa.array(np.full(n, np.datetime64(nxt.isoformat(), "s")), ts),
        "ChargeCategory": const("Usage"),
        "ChargeDescription": per_resource([f"{r.service} {r.unit}" for r in chosen]),
        "ChargeFrequency": per_resource([r.frequency for r in chosen]),
        "ConsumedUnit": per_resource([r.unit for r in chosen]),
        "InvoiceIssuerName": const(issuer),
        "ProviderName": const(provider),
        "PublisherName": const(issuer),
        "PricingCategory": const("Standard"),
        "PricingUnit": per_resource([r.unit for r in chosen]),
        "RegionId": const(region),
        "RegionName": const(region_name),
        "ResourceId": per_resource([r.resource_id for r in chosen]),
        "ResourceName": per_resource([r.resource_id.rsplit(":", 1)[-1] for r in chosen]),
        "ResourceType": per_resource([r.category for r in chosen]),
        "ServiceCategory": per_resource([r.category for r in chosen]),
        "ServiceName": per_resource([r.service for r in chosen]),
        "SkuId": per_resource([f"{r.category[:3].upper()}-{r.unit[:2].upper()}" for r in chosen]),
        "SkuPriceId": per_resource(
            [f"{r.category[:3].upper()}-{r.unit[:2].upper()}-{region}" for r in chosen]
        ),
        "SubAccountId": per_resource([r.sub_account for r in chosen]),
        "SubAccountName": per_resource([r.sub_account for r in chosen]),
        "SubAccountType": const("Account"),
        "Tags": per_resource(tags),
        "PricingCurrency": const("USD"),
        "InvoiceId": per_resource([f"{r.account}-{month:%Y%m}" for r in chosen]),
        "BilledCost": pa.array(cost),
        "EffectiveCost": pa.array(cost),
        "ContractedCost": pa.array(cost),
        "ListCost": pa.array(cost),
        "ConsumedQuantity": pa.array(qty),
        "PricingQuantity": pa.array(qty),
        "PricingCurrencyEffectiveCost": pa.array(np.round(cost_jpy / USD_JPY, 6)),
        "ChargePeriodStart": pa.array(starts, ts),
        "ChargePeriodEnd": pa.array(starts + np.timedelta64(86400, "s"), ts),
    }
    arrays = {}
    for c in focus.columns():
        kind = {"Decimal": pa.float64(), "Date/Time": ts}.get(c.data_type, pa.string())
        arrays[c.name] = columns.get(c.name, pa.nulls(n, kind))
    arrays["x_CpuUtilization"] = per_resource([r.cpu for r in chosen], pa.float64())
    return pa.table(arrays)


def demo_rates(start: date, end: date, seed: int = 2026) -> list[tuple[date, float]]:
    """A plausible daily USD/JPY path (for the OCI rows billed in USD)."""
    rng = random.Random(seed)
    rate, out, day = USD_JPY, [], start
    while day <= end:
        rate = max(120.0, min(170.0, rate + rng.gauss(0, 0.4)))
        out.append((day, round(rate, 2)))
        day += timedelta(days=1)
    return out
