"""The FOCUS 1.2 schema: columns, their types, allowed values, and older names.

The column list is packaged from the specification (``data/focus_1_2_columns.csv``);
allowed values are those of the 1.2 column pages. Names used by FOCUS 0.5 and
1.0-preview, and by converters written for them, are mapped onto the 1.2 names.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

FOCUS_VERSION = "1.2"


@dataclass(frozen=True, slots=True)
class FocusColumn:
    name: str
    kind: str
    """Dimension | Metric"""
    requirement: str
    """Mandatory | Recommended | Conditional"""
    data_type: str
    """String | Decimal | Date/Time | JSON"""
    nullable: bool
    introduced: str

    @property
    def sql_type(self) -> str:
        return {"Decimal": "DOUBLE", "Date/Time": "TIMESTAMPTZ"}.get(self.data_type, "VARCHAR")


@cache
def columns() -> tuple[FocusColumn, ...]:
    text = resources.files("rengo.finops").joinpath("data/focus_1_2_columns.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        FocusColumn(
            name=r["column"],
            kind=r["kind"],
            requirement=r["requirement"],
            data_type=r["data_type"],
            nullable=r["nullable"] == "True",
            introduced=r["introduced"],
        )
        for r in rows
    )


@cache
def column_names() -> tuple[str, ...]:
    return tuple(c.name for c in columns())


@cache
def by_name() -> dict[str, FocusColumn]:
    return {c.name: c for c in columns()}


@cache
def by_lower_name() -> dict[str, str]:
    return {c.name.lower(): c.name for c in columns()}


LEGACY_NAMES = {
    # FOCUS 0.5 / 1.0-preview names and the converters' intermediate names -> 1.2.
    "Provider": "ProviderName",
    "Publisher": "PublisherName",
    "InvoiceIssuer": "InvoiceIssuerName",
    "AmortizedCost": "EffectiveCost",
    "ChargeType": "ChargeCategory",
    "Region": "RegionId",
    "UsageQuantity": "ConsumedQuantity",
    "UsageUnit": "ConsumedUnit",
    "ResourceID": "ResourceId",
}

ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "ChargeCategory": ("Usage", "Purchase", "Tax", "Credit", "Adjustment"),
    "ChargeClass": ("Correction",),
    "ChargeFrequency": ("One-Time", "Recurring", "Usage-Based"),
    "PricingCategory": ("Standard", "Dynamic", "Committed", "Other"),
    "CommitmentDiscountStatus": ("Used", "Unused"),
    "CommitmentDiscountCategory": ("Spend", "Usage"),
    "CapacityReservationStatus": ("Used", "Unused"),
    "ServiceCategory": (
        "AI and Machine Learning",
        "Analytics",
        "Business Applications",
        "Compute",
        "Databases",
        "Developer Tools",
        "Multicloud",
        "Identity",
        "Integration",
        "Internet of Things",
        "Management and Governance",
        "Media",
        "Migration",
        "Mobile",
        "Networking",
        "Security",
        "Storage",
        "Web",
        "Other",
    ),
}

PARSE_REQUIRED = ("BilledCost", "ChargePeriodStart", "BillingPeriodStart")
"""Without these a row can be neither placed in a billing period nor summed: quarantined."""

# Columns rengo adds to every row of the lake (custom columns carry the x_ prefix).
LAKE_EXTRA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("x_ChargeDate", "DATE"),
    ("x_Ward", "VARCHAR"),
    ("x_BusinessSystem", "VARCHAR"),
    ("x_SharedPool", "VARCHAR"),
    ("x_AllocationRule", "VARCHAR"),
    ("x_ReportingCurrency", "VARCHAR"),
    ("x_ExchangeRate", "DOUBLE"),
    ("x_ExchangeRateDate", "DATE"),
    ("x_ExchangeRateSource", "VARCHAR"),
    ("x_BilledCostReporting", "DOUBLE"),
    ("x_EffectiveCostReporting", "DOUBLE"),
    ("x_CpuUtilization", "DOUBLE"),
    ("x_Custom", "VARCHAR"),
    ("x_SourceFile", "VARCHAR"),
    ("x_SourceFormat", "VARCHAR"),
    ("x_SourceRow", "BIGINT"),
    ("x_FocusVersion", "VARCHAR"),
    ("x_IngestId", "VARCHAR"),
)

VERSION_MARKERS = (
    ("1.2", ("InvoiceId", "PricingCurrency", "BillingAccountType", "SubAccountType")),
    ("1.1", ("ServiceSubcategory", "SkuMeter", "CapacityReservationId", "SkuPriceDetails")),
)


def detect_version(present: set[str]) -> str:
    """The FOCUS version a set of (1.2-named) columns most likely comes from."""
    for version, markers in VERSION_MARKERS:
        if present & set(markers):
            return version
    return "1.0"
