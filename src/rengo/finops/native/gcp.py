"""Google Cloud billing export (BigQuery schema, as Parquet/JSON lines or flattened CSV) to FOCUS.

Follows the FinOps Foundation's ``mapping-gcp.csv``: BilledCost is ``cost``,
EffectiveCost adds the (negative) ``credits`` and never goes below zero, billing
periods are the invoice month in Pacific time. Nested records are read flattened
(``service.description``); ``credits`` and ``labels`` may be lists or JSON text.
"""

from __future__ import annotations

from rengo.core.sql import identifier
from rengo.finops.native import Converter, Source, category_sql, when_map

CHARGE_CATEGORY = {
    "tax": "Tax",
    "regular": "Usage",
    "adjustment": "Adjustment",
    "credit": "Credit",
    "rounding_error": "Adjustment",
}


def _json_text(s: Source, name: str) -> str:
    found = s.find(name)
    if found is None:
        return "CAST(NULL AS VARCHAR)"
    return (
        f"(CASE WHEN typeof({identifier(found)}) = 'VARCHAR' THEN CAST({identifier(found)} AS "
        f"VARCHAR) ELSE CAST(to_json({identifier(found)}) AS VARCHAR) END)"
    )


def _cost(s: Source) -> str:
    return f"coalesce({s.num('cost')}, 0)"


def _month(s: Source, months: int) -> str:
    month = s.col("invoice.month")
    local = f"(try_strptime({month}, '%Y%m') + INTERVAL {months} MONTH)"
    return f"strftime(timezone('America/Los_Angeles', {local}), '%Y-%m-%dT%H:%M:%SZ')"


def expressions(s: Source) -> dict[str, str]:
    credits = _json_text(s, "credits")
    credit_sum = f"coalesce(list_sum(CAST(json_extract({credits}, '$[*].amount') AS DOUBLE[])), 0)"
    labels = _json_text(s, "labels")
    tags = (
        f"NULLIF(CAST(to_json(map_from_entries(json_transform({labels}, "
        '\'[{"key":"VARCHAR","value":"VARCHAR"}]\'))) AS VARCHAR), \'{}\')'
    )
    cost = _cost(s)
    service = s.col("service.description")
    region = f"coalesce({s.col('location.region')}, {s.col('location.location')})"
    return {
        "AvailabilityZone": s.col("location.zone"),
        "BilledCost": cost,
        "BillingAccountId": s.col("billing_account_id"),
        "BillingAccountName": s.col("billing_account_id"),
        "BillingCurrency": s.col("currency"),
        "BillingPeriodEnd": _month(s, 1),
        "BillingPeriodStart": _month(s, 0),
        "ChargeCategory": when_map(f"lower({s.col('cost_type')})", CHARGE_CATEGORY, "'Usage'"),
        "ChargeDescription": s.col("sku.description"),
        "ChargeFrequency": "'Usage-Based'",
        "ChargePeriodEnd": s.col("usage_end_time"),
        "ChargePeriodStart": s.col("usage_start_time"),
        "ConsumedQuantity": s.num("usage.amount"),
        "ConsumedUnit": s.col("usage.unit"),
        "ContractedCost": cost,
        "ContractedUnitPrice": s.num("price.effective_price"),
        "EffectiveCost": f"greatest({cost} + {credit_sum}, 0)",
        "InvoiceIssuerName": "'Google Cloud'",
        "ListCost": f"coalesce({s.num('cost_at_list')}, {cost})",
        "PricingQuantity": s.num("usage.amount_in_pricing_units"),
        "PricingUnit": s.col("usage.pricing_unit"),
        "ProviderName": "'Google Cloud'",
        "PublisherName": f"coalesce({s.col('seller_name')}, 'Google Cloud')",
        "RegionId": region,
        "RegionName": region,
        "ResourceId": s.col("resource.global_name"),
        "ResourceName": s.col("resource.name"),
        "ServiceCategory": category_sql("gcp", f"coalesce({service}, '')"),
        "ServiceName": service,
        "SkuId": s.col("sku.id"),
        "SkuMeter": s.col("sku.description"),
        "SubAccountId": s.col("project.id"),
        "SubAccountName": s.col("project.name"),
        "Tags": tags if s.has("labels") else "CAST(NULL AS VARCHAR)",
    }


CONVERTER = Converter(
    name="gcp",
    provider="Google Cloud",
    cloud="gcp",
    detect=lambda columns: {"billing_account_id", "cost"} <= columns,
    order=40,
    expressions=expressions,
    native_cost=_cost,
    currency=lambda s: s.col("currency"),
)
