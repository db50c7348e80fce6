"""The converter registry: each provider module declares how its export is recognised."""

from __future__ import annotations

import pytest

from rengo.assets.reference import CLOUD_PROVIDERS
from rengo.finops.ingest import detect_format, formats
from rengo.finops.native import category_sql, converters, json_reader

HEADERS = {
    "aws-cur": ["identity/LineItemId", "lineItem/UnblendedCost", "lineItem/CurrencyCode"],
    "azure": ["SubscriptionId", "CostInBillingCurrency", "BillingCurrencyCode"],
    "oci": ["lineItem/referenceNo", "cost/myCost", "cost/currencyCode"],
    "gcp": ["billing_account_id", "service.description", "cost", "currency"],
    "sakura": ["contractId", "servicesClassPath", "amount"],
    "focus": ["BilledCost", "BillingCurrency", "ChargePeriodStart"],
}


def test_every_provider_module_is_found_in_detection_order() -> None:
    assert list(converters()) == ["aws-cur", "azure", "oci", "gcp", "sakura"]
    assert formats() == ("focus", "aws-cur", "azure", "oci", "gcp", "sakura")


@pytest.mark.parametrize("name", HEADERS)
def test_an_export_is_recognised_by_its_columns(name: str) -> None:
    assert detect_format(HEADERS[name]) == name


def test_an_unknown_export_is_not_guessed() -> None:
    assert detect_format(["date", "amount", "note"]) is None


def test_each_converter_names_a_known_cloud_with_a_service_catalogue() -> None:
    for converter in converters().values():
        assert converter.cloud in CLOUD_PROVIDERS
        assert "WHEN" in category_sql(converter.cloud, "x")  # its own categories/<cloud>.csv
    reader = json_reader()
    assert reader is not None and reader.name == "sakura"
