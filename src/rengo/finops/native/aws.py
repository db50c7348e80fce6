"""AWS Cost and Usage Report (legacy ``lineItem/…`` CSV and CUR 2.0 ``line_item_…``) to FOCUS.

Follows the FinOps Foundation's ``mapping-aws-cur.csv``, except: ``Credit``/``Refund``
become ChargeCategory ``Credit`` (a 1.2 value the table predates) and ChargeFrequency
comes from the line item type rather than the bill type (an "Anniversary" bill holds
usage and fees alike).
"""

from __future__ import annotations

import re

from rengo.finops.native import Converter, Source, category_sql, tags_object, when_map


def _cur2(legacy: str) -> str:
    """CUR 2.0 spells ``lineItem/UsageAccountId`` as ``line_item_usage_account_id``."""
    category, _, name = legacy.partition("/")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", category).lower()
    return f"{snake}_{re.sub(r'(?<!^)(?=[A-Z])', '_', name).lower()}"


class _Cur:
    def __init__(self, source: Source) -> None:
        self.s = source

    def col(self, *legacy: str) -> str:
        return self.s.col(*[n for name in legacy for n in (name, _cur2(name))])

    def num(self, *legacy: str) -> str:
        return f"TRY_CAST({self.col(*legacy)} AS DOUBLE)"


CHARGE_CATEGORY = {
    "Tax": "Tax",
    "Fee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "RIFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "Usage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage",
    "DiscountedUsage": "Usage",
    "BundledDiscount": "Usage",
    "Discount": "Usage",
    "PrivateRateDiscount": "Usage",
    "EdpDiscount": "Usage",
    "Credit": "Credit",
    "Refund": "Credit",
}
FREQUENCY = {
    "Usage": "Usage-Based",
    "DiscountedUsage": "Usage-Based",
    "SavingsPlanCoveredUsage": "Usage-Based",
    "SavingsPlanNegation": "Usage-Based",
    "RIFee": "Recurring",
    "SavingsPlanRecurringFee": "Recurring",
}


def _billed(c: _Cur) -> str:
    return f"coalesce({c.num('lineItem/NetUnblendedCost')}, {c.num('lineItem/UnblendedCost')}, 0)"


def expressions(source: Source) -> dict[str, str]:
    c = _Cur(source)
    item_type = c.col("lineItem/LineItemType")
    sp_arn = c.col("savingsPlan/SavingsPlanARN")
    ri_arn = c.col("reservation/ReservationARN")
    unblended = f"coalesce({c.num('lineItem/UnblendedCost')}, 0)"
    effective = f"""(CASE {item_type}
        WHEN 'SavingsPlanCoveredUsage' THEN {c.num("savingsPlan/SavingsPlanEffectiveCost")}
        WHEN 'SavingsPlanRecurringFee' THEN {c.num("savingsPlan/TotalCommitmentToDate")} -
        {c.num("savingsPlan/UsedCommitment")}
        WHEN 'SavingsPlanNegation' THEN 0
        WHEN 'SavingsPlanUpfrontFee' THEN 0
        WHEN 'DiscountedUsage' THEN {c.num("reservation/EffectiveCost")}
        WHEN 'RIFee' THEN
        coalesce({c.num("reservation/UnusedAmortizedUpfrontFeeForBillingPeriod")}, 0) +
        coalesce({c.num("reservation/UnusedRecurringFee")}, 0)
        ELSE {unblended} END)"""
    resource = c.col("lineItem/ResourceId")
    tag_columns = source.starting("resourceTags/")
    if tag_columns:
        tags = tags_object(
            [(t.split("/", 1)[1].removeprefix("user:"), source.col(t)) for t in tag_columns]
        )
    elif source.has("resource_tags"):
        tags = f"CAST({source.col('resource_tags')} AS VARCHAR)"
    else:
        tags = "CAST(NULL AS VARCHAR)"
    product_code = c.col("lineItem/ProductCode")
    usage_types = "('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')"
    unit = c.col("pricing/unit")
    priced = f"({item_type} IS DISTINCT FROM 'Tax' AND {unit} IS NOT NULL)"
    return {
        "AvailabilityZone": c.col("lineItem/AvailabilityZone"),
        "BilledCost": _billed(c),
        "BillingAccountId": c.col("bill/PayerAccountId"),
        "BillingAccountName": (
            f"coalesce({c.col('bill/PayerAccountName')}, {c.col('bill/PayerAccountId')})"
        ),
        "BillingCurrency": c.col("lineItem/CurrencyCode"),
        "BillingPeriodEnd": c.col("bill/BillingPeriodEndDate"),
        "BillingPeriodStart": c.col("bill/BillingPeriodStartDate"),
        "ChargeCategory": when_map(item_type, CHARGE_CATEGORY, "'Adjustment'"),
        "ChargeClass": f"(CASE WHEN {item_type} = 'Refund' THEN 'Correction' END)",
        "ChargeDescription": c.col("lineItem/LineItemDescription"),
        "ChargeFrequency": when_map(item_type, FREQUENCY, "'One-Time'"),
        "ChargePeriodEnd": c.col("lineItem/UsageEndDate"),
        "ChargePeriodStart": c.col("lineItem/UsageStartDate"),
        "CommitmentDiscountCategory": (
            f"(CASE WHEN {sp_arn} IS NOT NULL THEN 'Spend' WHEN {ri_arn} IS NOT NULL THEN 'Usage' "
            "END)"
        ),
        "CommitmentDiscountId": f"coalesce({sp_arn}, {ri_arn})",
        "CommitmentDiscountType": (
            f"(CASE WHEN {sp_arn} IS NOT NULL THEN 'Savings Plan' WHEN {ri_arn} IS NOT NULL THEN "
            "'Reserved Instances (RI)' END)"
        ),
        "CommitmentDiscountStatus": (
            f"(CASE WHEN {item_type} IN ('SavingsPlanCoveredUsage', 'DiscountedUsage') THEN "
            f"'Used' WHEN {item_type} IN ('RIFee', 'SavingsPlanRecurringFee') AND "
            f"coalesce({effective}, 0) > 0 THEN 'Unused' END)"
        ),
        "ConsumedQuantity": (
            f"(CASE WHEN {item_type} IN {usage_types} THEN {c.num('lineItem/UsageAmount')} END)"
        ),
        "ConsumedUnit": (
            f"(CASE WHEN {item_type} IN {usage_types} THEN {c.col('pricing/unit')} END)"
        ),
        "ContractedCost": unblended,
        "ContractedUnitPrice": c.num("lineItem/UnblendedRate"),
        "EffectiveCost": f"coalesce({effective}, 0)",
        "InvoiceId": c.col("bill/InvoiceId"),
        "InvoiceIssuerName": (
            f"coalesce({c.col('bill/InvoicingEntity')}, 'Amazon Web Services, Inc.')"
        ),
        "ListCost": (
            f"coalesce({c.num('pricing/publicOnDemandCost')},"
            f" {c.num('pricing/publicOnDemandRate')} "
            f"* {c.num('lineItem/UsageAmount')}, {unblended})"
        ),
        "ListUnitPrice": c.num("pricing/publicOnDemandRate"),
        "PricingCategory": f"(CASE WHEN {item_type} IN ('SavingsPlanCoveredUsage', "
        "'DiscountedUsage') "
        "THEN "
        "'Committed' "
        f"WHEN {c.col('pricing/term')} = 'OnDemand' THEN 'Standard' WHEN {c.col('pricing/term')} "
        "= 'Spot' THEN 'Dynamic' END)",
        # FOCUS 1.2: no pricing quantity on a tax, and none without its unit (a CUR tax line
        # says UsageAmount 1 with no pricing/unit).
        "PricingQuantity": (f"(CASE WHEN {priced} THEN {c.num('lineItem/UsageAmount')} END)"),
        "PricingUnit": f"(CASE WHEN {priced} THEN {unit} END)",
        "ProviderName": "'AWS'",
        "PublisherName": f"coalesce({c.col('lineItem/LegalEntity')}, 'Amazon Web Services, Inc.')",
        "RegionId": c.col("product/regionCode", "product/region"),
        "RegionName": c.col("product/location"),
        "ResourceId": resource,
        "ResourceName": f"NULLIF(regexp_extract({resource}, '[^:/]+$'), '')",
        "ServiceCategory": category_sql("aws", f"coalesce({product_code}, '')"),
        "ServiceName": f"coalesce({c.col('product/ProductName')}, {product_code})",
        "SkuId": c.col("product/sku"),
        "SkuPriceId": f"coalesce({c.col('pricing/RateCode')}, {c.col('pricing/RateId')})",
        "SubAccountId": c.col("lineItem/UsageAccountId"),
        "SubAccountName": c.col("lineItem/UsageAccountName"),
        "Tags": tags,
    }


CONVERTER = Converter(
    name="aws-cur",
    provider="AWS",
    cloud="aws",
    detect=lambda columns: bool(columns & {"lineitem/unblendedcost", "line_item_unblended_cost"}),
    order=10,
    expressions=expressions,
    native_cost=lambda s: _billed(_Cur(s)),
    currency=lambda s: _Cur(s).col("lineItem/CurrencyCode"),
)
