"""Azure cost details (EA and MCA exports, both column spellings) to FOCUS.

Follows the FinOps Foundation's ``mapping-azure.csv``: BilledCost and EffectiveCost are
``CostInBillingCurrency``; a day's charge period ends the next day; the inclusive
billing period end date becomes the exclusive FOCUS end. Tags written without braces
(as EA exports do) are wrapped into a JSON object.
"""

from __future__ import annotations

from rengo.finops.native import Converter, Source, category_sql, when_map


def _date(s: Source, *names: str) -> str:
    text = s.col(*names)
    return (
        f"coalesce(try_strptime({text}, '%m/%d/%Y'), try_strptime({text}, '%Y-%m-%d'), "
        f"TRY_CAST({text} AS TIMESTAMP))"
    )


def _iso(ts: str) -> str:
    return f"strftime({ts}, '%Y-%m-%dT%H:%M:%SZ')"


def _cost(s: Source) -> str:
    return (
        f"coalesce({s.num('CostInBillingCurrency', 'costInBillingCurrency', 'Cost', 'PreTaxCost')}"
        ", 0)"
    )


CHARGE_CATEGORY = {
    "Usage": "Usage",
    "Purchase": "Purchase",
    "Tax": "Tax",
    "UnusedReservation": "Usage",
    "UnusedSavingsPlan": "Usage",
    "Refund": "Credit",
}
FREQUENCY = {"OneTime": "One-Time", "Recurring": "Recurring", "UsageBased": "Usage-Based"}
PRICING = {
    "OnDemand": "Standard",
    "Spot": "Dynamic",
    "Reservation": "Committed",
    "SavingsPlan": "Committed",
    "Savings Plans": "Committed",
}


def expressions(s: Source) -> dict[str, str]:
    day = _date(s, "Date", "UsageDate")
    period_start = _date(s, "BillingPeriodStartDate")
    period_end = _date(s, "BillingPeriodEndDate")
    charge_type = s.col("ChargeType")
    benefit = f"coalesce({s.col('benefitId')}, {s.col('ReservationId')})"
    benefit_kind = (
        f"(CASE WHEN lower({benefit}) LIKE '%/microsoft.billingbenefits/%' THEN 'Spend' "
        f"WHEN {benefit} IS NOT NULL THEN 'Usage' END)"
    )
    raw_tags = s.col("Tags")
    tags = (
        f"(CASE WHEN {raw_tags} IS NULL THEN NULL WHEN starts_with({raw_tags}, '{{') "
        f"THEN {raw_tags} "
        f"ELSE '{{' || {raw_tags} || '}}' END)"
    )
    unit = s.col("UnitOfMeasure", "unitOfMeasure")
    quantity = s.num("Quantity", "quantity")
    service = f"coalesce({s.col('MeterCategory', 'meterCategory')}, {s.col('ConsumedService')})"
    cost = _cost(s)
    return {
        "AvailabilityZone": s.col("AvailabilityZone"),
        "BilledCost": cost,
        "BillingAccountId": (
            f"coalesce({s.col('BillingAccountId', 'billingAccountId')},"
            f" {s.col('BillingProfileId')})"
        ),
        "BillingAccountName": (
            f"coalesce({s.col('BillingAccountName', 'billingAccountName')},"
            f" {s.col('BillingProfileName')})"
        ),
        "BillingCurrency": s.col(
            "BillingCurrencyCode", "billingCurrency", "BillingCurrency", "Currency"
        ),
        "BillingPeriodEnd": _iso(f"({period_end} + INTERVAL 1 DAY)"),
        "BillingPeriodStart": _iso(period_start),
        "ChargeCategory": when_map(charge_type, CHARGE_CATEGORY, "'Adjustment'"),
        "ChargeClass": f"(CASE WHEN {charge_type} = 'Refund' THEN 'Correction' END)",
        "ChargeDescription": s.col("ProductName", "productName"),
        "ChargeFrequency": when_map(s.col("Frequency", "frequency"), FREQUENCY, "'Usage-Based'"),
        "ChargePeriodEnd": _iso(f"({day} + INTERVAL 1 DAY)"),
        "ChargePeriodStart": _iso(day),
        "CommitmentDiscountCategory": benefit_kind,
        "CommitmentDiscountId": benefit,
        "CommitmentDiscountName": f"coalesce({s.col('benefitName')}, {s.col('ReservationName')})",
        "CommitmentDiscountStatus": (
            f"(CASE WHEN {charge_type} IN ('UnusedReservation', 'UnusedSavingsPlan') THEN "
            f"'Unused' WHEN {benefit} IS NOT NULL THEN 'Used' END)"
        ),
        "CommitmentDiscountType": (
            f"(CASE {benefit_kind} WHEN 'Spend' THEN 'Savings Plan' WHEN 'Usage' THEN "
            "'Reservation' END)"
        ),
        "ConsumedQuantity": f"(CASE WHEN {charge_type} = 'Usage' THEN {quantity} END)",
        "ConsumedUnit": (
            f"(CASE WHEN {charge_type} = 'Usage' THEN trim(regexp_replace({unit}, '^[0-9KM]+ *', "
            "'')) END)"
        ),
        "ContractedCost": f"coalesce({s.num('UnitPrice', 'unitPrice')} * {quantity}, {cost})",
        "ContractedUnitPrice": s.num("UnitPrice", "unitPrice"),
        "EffectiveCost": cost,
        "InvoiceId": s.col("InvoiceId", "invoiceId"),
        "InvoiceIssuerName": "'Microsoft'",
        "ListCost": f"coalesce({s.num('PayGPrice', 'payGPrice')} * {quantity}, {cost})",
        "ListUnitPrice": s.num("PayGPrice", "payGPrice"),
        "PricingCategory": when_map(s.col("PricingModel", "pricingModel"), PRICING, "'Other'"),
        "PricingQuantity": quantity,
        "PricingUnit": unit,
        "ProviderName": "'Microsoft'",
        "PublisherName": f"coalesce({s.col('PublisherName', 'publisherName')}, 'Microsoft')",
        "RegionId": f"lower({s.col('ResourceLocation', 'resourceLocation')})",
        "RegionName": s.col("ResourceLocation", "resourceLocation"),
        "ResourceId": s.col("ResourceId", "InstanceName", "resourceId"),
        "ResourceName": s.col("ResourceName", "resourceName"),
        "ServiceCategory": category_sql(
            "azure", f"coalesce({s.col('ConsumedService')}, {service}, '')"
        ),
        "ServiceName": service,
        "SkuId": f"coalesce({s.col('PartNumber', 'partNumber')}, {s.col('MeterId', 'meterId')})",
        "SkuMeter": s.col("MeterName", "meterName"),
        "SubAccountId": s.col("SubscriptionId", "subscriptionId", "SubscriptionGuid"),
        "SubAccountName": s.col("SubscriptionName", "subscriptionName"),
        "Tags": tags,
        "x_ResourceGroup": s.col("ResourceGroup", "resourceGroupName", "ResourceGroupName"),
    }


CONVERTER = Converter(
    name="azure",
    provider="Microsoft",
    cloud="azure",
    detect=lambda columns: bool(columns & {"costinbillingcurrency", "pretaxcost"}),
    order=20,
    expressions=expressions,
    native_cost=_cost,
    currency=lambda s: s.col(
        "BillingCurrencyCode", "billingCurrency", "BillingCurrency", "Currency"
    ),
)
