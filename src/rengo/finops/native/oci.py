"""OCI cost reports to FOCUS.

The FinOps Foundation's ``mapping-oci.csv`` maps BilledCost to ``cost/myCostOverage``,
which is empty on every row of real reports (it only carries overage): rengo uses
``cost/myCost``, the row's cost, so that the converted total equals the report's total.
"""

from __future__ import annotations

from rengo.finops.native import Converter, Source, category_sql, tags_object


def _cost(s: Source) -> str:
    return f"coalesce({s.num('cost/myCost')}, 0)"


def _month(ts: str, months: int) -> str:
    return (
        f"strftime(date_trunc('month', TRY_CAST({ts} AS TIMESTAMPTZ)) + INTERVAL {months} MONTH, "
        "'%Y-%m-%dT%H:%M:%SZ')"
    )


def expressions(s: Source) -> dict[str, str]:
    start = s.col("lineItem/intervalUsageStart")
    end = s.col("lineItem/intervalUsageEnd")
    tags = tags_object([(c.split("/", 1)[1], s.col(c)) for c in s.starting("tags/")])
    cost = _cost(s)
    service = s.col("product/service")
    return {
        "AvailabilityZone": s.col("product/availabilityDomain"),
        "BilledCost": cost,
        "BillingAccountId": s.col("cost/subscriptionId", "lineItem/tenantId"),
        "BillingAccountName": s.col("cost/subscriptionId", "lineItem/tenantId"),
        "BillingCurrency": s.col("cost/currencyCode"),
        "BillingPeriodEnd": _month(start, 1),
        "BillingPeriodStart": _month(start, 0),
        "ChargeCategory": "'Usage'",
        "ChargeClass": (
            f"(CASE WHEN lower({s.col('lineItem/isCorrection')}) = 'true' THEN 'Correction' END)"
        ),
        "ChargeDescription": s.col("product/Description"),
        "ChargeFrequency": "'Usage-Based'",
        "ChargePeriodEnd": end,
        "ChargePeriodStart": start,
        "ConsumedQuantity": s.num("usage/billedQuantity"),
        "ConsumedUnit": s.col("cost/skuUnitDescription"),
        "ContractedCost": cost,
        "ContractedUnitPrice": s.num("cost/unitPrice"),
        "EffectiveCost": cost,
        "InvoiceIssuerName": "'Oracle'",
        "ListCost": cost,
        "PricingQuantity": s.num("usage/billedQuantity"),
        "PricingUnit": s.col("cost/skuUnitDescription"),
        "ProviderName": "'Oracle'",
        "PublisherName": "'Oracle'",
        "RegionId": s.col("product/region"),
        "RegionName": s.col("product/region"),
        "ResourceId": s.col("product/resourceId"),
        "ServiceCategory": category_sql("oci", f"coalesce({service}, '')"),
        "ServiceName": service,
        "SkuId": s.col("cost/productSku"),
        "SubAccountId": s.col("product/compartmentId"),
        "SubAccountName": s.col("product/compartmentName"),
        "Tags": tags,
    }


CONVERTER = Converter(
    name="oci",
    provider="Oracle",
    cloud="oci",
    detect=lambda columns: "cost/mycost" in columns,
    order=30,
    expressions=expressions,
    native_cost=_cost,
    currency=lambda s: s.col("cost/currencyCode"),
)
