"""FinOps' settings section (``[finops]``, ``RENGO_FINOPS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rengo.core import settings


@settings.section("finops")
class FinopsSettings(BaseModel):
    """Cost lake, allocation, anomaly detection, forecasts and savings (measure 2)."""

    currency: str = Field(
        "JPY", description="Reporting currency: every cost is also shown converted into it."
    )
    fiscal_year_start_month: int = Field(
        4, ge=1, le=12, description="First month of the fiscal year (Japan: April)."
    )
    anomaly_min_history_days: int = Field(
        28, ge=7, description="Days of history a series needs before its days are scored."
    )
    anomaly_window_days: int = Field(
        56, ge=14, description="Days of history the expected daily cost is computed from."
    )
    anomaly_floor: float = Field(
        5_000.0,
        ge=0,
        description="Absolute floor: a day must exceed its expected cost by at "
        "least this much (reporting currency) to be an anomaly.",
    )
    anomaly_relative: float = Field(
        0.5,
        ge=0,
        description="Relative threshold: excess over the expected cost, as a "
        "fraction of it (0.5 = +50 %).",
    )
    anomaly_robust_z: float = Field(
        4.0, ge=0, description="Excess over the expected cost in robust standard deviations."
    )
    anomaly_latency_days: int = Field(
        2, ge=0, description="Late-arriving data: the newest days scored are D minus this."
    )
    level_shift_days: int = Field(
        7, ge=3, description="A new cost level must hold this many days to count as a shift."
    )
    forecast_interval: float = Field(
        0.8, gt=0, lt=1, description="Coverage of forecast intervals (0.8 = 80 % interval)."
    )
    idle_usage_max: float = Field(
        0.0, ge=0, description="Usage-based quantity at or below which a costing resource is idle."
    )
    rightsizing_cpu_max_pct: float = Field(
        20.0, description="Average CPU (x_CpuUtilization) below which a VM is oversized."
    )
    commitment_discount_rate: float = Field(
        0.3, ge=0, lt=1, description="Assumed saving of a 1-year commitment over on-demand."
    )
    commitment_target_coverage: float = Field(
        0.7,
        ge=0,
        le=1,
        description="Commitment coverage of steady compute below which we advise buying.",
    )
    storage_tiering_saving: float = Field(
        0.45, ge=0, lt=1, description="Saving of moving cold storage to an infrequent-access tier."
    )
    business_hours_per_week: float = Field(
        60.0, gt=0, le=168, description="Hours a week non-production resources need to run."
    )
    recommendation_min_monthly_saving: float = Field(
        1_000.0, ge=0, description="Recommendations saving less than this a month are not raised."
    )
    joint_security_pool: str = Field(
        "joint-soc",
        description="Shared pool of the joint SOC/CSIRT's cloud costs (its split is the pool's "
        "method; the per-resident security cost target reads it).",
    )
    demo_months: int = Field(
        24, ge=3, le=60, description="Months of cost data `rengo demo` generates."
    )
    demo_wards: int = Field(
        23, ge=1, le=23, description="How many wards (in code order) `rengo demo` gives costs."
    )
