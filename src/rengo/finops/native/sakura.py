"""Sakura Cloud (さくらのクラウド) billing data to FOCUS — Sakura publishes no FOCUS export.

Input: the JSON of the billing API, ``GET …/bill/id/{id}`` (``Bills``: ``ID``, ``Amount``
税込・円, ``Date`` = closing day of the billed month, ``MemberID``) together with
``GET …/billdetail/{member}/{id}`` (``BillDetails``: ``ContractID``, ``Amount`` 円,
``Description``, ``ServiceClassPath`` such as ``cloud/server/plan/2core-4gb``, ``Usage``
in seconds, ``Zone``, ``ContractEndAt``), saved as one object — or a list of such objects.
The reader flattens it into one row per detail; this module maps the rows to FOCUS.
Sakura bills calendar months in JST, monthly or hourly plans: charges are Recurring.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rengo.core.errors import InvalidInput, Problem
from rengo.finops.native import Converter, Source, category_sql

SAKURA_COLUMNS = (
    "BillID",
    "BillDate",
    "MemberID",
    "ContractID",
    "Amount",
    "Description",
    "ServiceClassID",
    "ServiceClassPath",
    "Usage",
    "FormattedUsage",
    "ServiceUsagePath",
    "Zone",
    "ContractEndAt",
)


def read_rows(path: Path) -> list[dict[str, Any]]:
    """One flat row per bill detail; a detail without a bill date is an error (file, record)."""
    try:
        document = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(
            f"{path.name}: not Sakura Cloud billing JSON", [Problem(str(error), path.name)]
        ) from None
    documents = document if isinstance(document, list) else [document]
    rows: list[dict[str, Any]] = []
    for n, doc in enumerate(documents, 1):
        if not isinstance(doc, dict) or "BillDetails" not in doc:
            raise InvalidInput(
                f"{path.name}: not Sakura Cloud billing JSON",
                [
                    Problem(
                        "an object with BillDetails (and Bill or Bills) is expected",
                        f"{path.name}: object {n}",
                    )
                ],
            )
        bills = doc.get("Bills") or ([doc["Bill"]] if doc.get("Bill") else [])
        bill = bills[0] if bills else {}
        bill_date = bill.get("Date") or doc.get("BillDate")
        if not bill_date:
            raise InvalidInput(
                f"{path.name}: the billed month is unknown",
                [
                    Problem(
                        "give Bill.Date (closing day of the billed month)",
                        f"{path.name}: object {n}",
                    )
                ],
            )
        for detail in doc["BillDetails"] or []:
            row = {k: detail.get(k) for k in SAKURA_COLUMNS}
            row.update(
                BillID=bill.get("ID"),
                BillDate=bill_date,
                MemberID=bill.get("MemberID") or doc.get("MemberID"),
            )
            rows.append({k: (None if v is None else str(v)) for k, v in row.items()})
    return rows


def _cost(s: Source) -> str:
    return f"coalesce({s.num('Amount')}, 0)"


def _month(s: Source, months: int) -> str:
    closing = f"TRY_CAST({s.col('BillDate')} AS TIMESTAMPTZ)"
    jst_month = f"date_trunc('month', CAST({closing} + INTERVAL 9 HOUR AS DATE))"
    return (
        f"strftime(CAST({jst_month} AS TIMESTAMP) + INTERVAL {months} MONTH - INTERVAL 9 HOUR, "
        "'%Y-%m-%dT%H:%M:%SZ')"
    )


def expressions(s: Source) -> dict[str, str]:
    cost = _cost(s)
    path = s.col("ServiceClassPath")
    service = f"coalesce(NULLIF(split_part({path}, '/', 2), ''), 'other')"
    zone = s.col("Zone")
    return {
        "BilledCost": cost,
        "BillingAccountId": s.col("MemberID"),
        "BillingAccountName": s.col("MemberID"),
        "BillingCurrency": "'JPY'",
        "BillingPeriodEnd": _month(s, 1),
        "BillingPeriodStart": _month(s, 0),
        "ChargeCategory": "'Usage'",
        "ChargeDescription": s.col("Description"),
        "ChargeFrequency": "'Recurring'",
        "ChargePeriodEnd": _month(s, 1),
        "ChargePeriodStart": _month(s, 0),
        "ConsumedQuantity": f"{s.num('Usage')} / 3600.0",
        "ConsumedUnit": "'Hours'",
        "ContractedCost": cost,
        "EffectiveCost": cost,
        "InvoiceId": s.col("BillID"),
        "InvoiceIssuerName": "'さくらインターネット株式会社'",
        "ListCost": cost,
        "PricingQuantity": "1",
        "PricingUnit": "'Month'",
        "ProviderName": "'Sakura Cloud'",
        "PublisherName": "'さくらインターネット株式会社'",
        "RegionId": f"regexp_replace({zone}, '[a-z]$', '')",
        "RegionName": f"regexp_replace({zone}, '[a-z]$', '')",
        "AvailabilityZone": zone,
        "ResourceId": s.col("ContractID"),
        "ResourceName": s.col("Description"),
        "ResourceType": service,
        "ServiceCategory": category_sql("sakura", service),
        "ServiceName": service,
        "SkuId": s.col("ServiceClassID"),
        "SkuMeter": path,
    }


CONVERTER = Converter(
    name="sakura",
    provider="Sakura Cloud",
    cloud="sakura",
    detect=lambda columns: (
        "billdetails" in columns or {"contractid", "servicesclasspath"} <= columns
    ),
    read_json=lambda path: (read_rows(path), SAKURA_COLUMNS),
    order=50,
    expressions=expressions,
    native_cost=_cost,
    currency=lambda s: "'JPY'",
)
