"""The CSIRT's configuration pages over HTTP: each ward's containment connectors (keys are
named, never shown) and the security cost records that feed the per-resident KPI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from rengo.core.runtime import Runtime
from rengo.core.tenancy import populations
from rengo.csirt.models import Connector, CostEntry
from rengo.csirt.settings import CsirtSettings
from tests.helpers import JOINT, WARD_A, WARD_B

# The HTML layer is under test here; the services below it run on SQLite and PostgreSQL in
# the API tests, so these pages run on SQLite only (the suite stays fast).
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


SECRET = "chiyoda-edr-signing-key-5f2a"


def test_connectors_per_ward_without_showing_keys(
    client: TestClient,
    new_client: Callable[[], TestClient],
    env: Runtime,
    login: Callable[..., str],
) -> None:
    env.settings.section(CsirtSettings).webhook_secrets["chiyoda_edr"] = SecretStr(SECRET)
    csrf = login(client, WARD_A, "admin")
    page = client.get("/csirt/connectors")
    assert page.status_code == 200 and "連携先の追加" in page.text
    with_credentials = client.post(
        "/csirt/connectors",
        data={
            "csrf_token": csrf,
            "name": "EDR",
            "kind": "webhook",
            "url": "https://user:pw@edr.chiyoda.example/api",
            "secret_name": "chiyoda_edr",
            "capabilities": ["isolate_host"],
        },
    )
    assert with_credentials.status_code == 422
    assert (
        'id="new-connector-url-error"' in with_credentials.text
        and 'aria-invalid="true"' in with_credentials.text
    )
    created = client.post(
        "/csirt/connectors",
        data={
            "csrf_token": csrf,
            "name": "千代田区EDR",
            "kind": "webhook",
            "url": "https://edr.chiyoda.example/api",
            "secret_name": "chiyoda_edr",
            "capabilities": ["isolate_host", "block_ip"],
        },
    )
    assert created.status_code == 303
    listing = client.get("/csirt/connectors").text
    assert "千代田区EDR" in listing and "chiyoda_edr" in listing and "設定済み" in listing
    assert SECRET not in listing
    with env.db.session() as session:
        connector = session.scalar(select(Connector).where(Connector.name == "千代田区EDR"))
        assert connector is not None and connector.capabilities == ["isolate_host", "block_ip"]
        connector_id = connector.id
    url = f"/csirt/connectors/{connector_id}"
    changed = client.post(
        url,
        data={
            "csrf_token": csrf,
            "name": "千代田区EDR",
            "url": "https://edr.chiyoda.example/v2",
            "secret_name": "missing_key",
            "capabilities": ["isolate_host"],
        },
    )
    assert changed.status_code == 303
    shown = client.get(url).text
    assert (
        "署名鍵が未設定" in shown
        and 'id="connector-enabled" name="enabled" type="checkbox" >' in shown
    )
    with env.db.session() as session:
        connector = session.get(Connector, connector_id)
        assert connector is not None and not connector.enabled and connector.url.endswith("/v2")
    ward_b = new_client()
    b_csrf = login(ward_b, WARD_B, "admin")
    assert ward_b.get(url).status_code == 404
    assert "千代田区EDR" not in ward_b.get("/csirt/connectors").text
    assert ward_b.post(url, data={"csrf_token": b_csrf, "name": "x"}).status_code == 404
    it_staff = new_client()
    it_csrf = login(it_staff, WARD_A, "ward_it")
    assert 'action="/csirt/connectors/' not in it_staff.get(url).text
    assert it_staff.post(url, data={"csrf_token": it_csrf, "name": "x"}).status_code == 403


def test_cost_records_feed_the_per_resident_kpi(
    client: TestClient,
    new_client: Callable[[], TestClient],
    env: Runtime,
    login: Callable[..., str],
    api: Callable[..., Any],
) -> None:
    finance = new_client()
    csrf = login(finance, WARD_A, "ward_finance")
    form = finance.get("/csirt/costs").text
    assert "費用の記録" in form and 'name="tenant" value="131016"' in form
    refused = finance.post(
        "/csirt/costs",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2026",
            "tenant": WARD_A,
            "kind": "standalone_estimate",
            "amount_yen": "-5",
        },
    )
    assert refused.status_code == 422 and 'id="cost-amount_yen-error"' in refused.text
    sneaky = finance.post(
        "/csirt/costs",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2026",
            "tenant": WARD_B,
            "kind": "standalone_estimate",
            "amount_yen": "1",
        },
    )
    assert sneaky.status_code == 403
    saved = finance.post(
        "/csirt/costs",
        data={
            "csrf_token": csrf,
            "fiscal_year": "2026",
            "tenant": WARD_A,
            "kind": "standalone_estimate",
            "amount_yen": "150,000,000",
            "note": "単独運用の見積(2026年度)",
        },
    )
    assert saved.status_code == 303
    joint_csrf = login(client, JOINT, "admin")
    for data in (
        {"kind": "joint_operating", "tenant": JOINT, "amount_yen": "2000000000"},
        {"kind": "joint_share", "tenant": WARD_A, "share_pct": "4.5"},
    ):
        assert (
            client.post(
                "/csirt/costs", data={"csrf_token": joint_csrf, "fiscal_year": "2026", **data}
            ).status_code
            == 303
        )
    with env.db.session() as session:
        kinds = sorted(session.scalars(select(CostEntry.kind)))
    assert kinds == ["joint_operating", "joint_share", "standalone_estimate"]
    page = client.get("/csirt/costs?fiscal_year=2026").text
    # Not every ward has a share: the joint cost is shared by population.
    assert "人口" in page and "単独運用の見積(2026年度)" in page
    comparison = api("GET", "/api/v1/csirt/costs/comparison", ward=JOINT, role="admin").json()
    with env.db.session() as session:
        pops = populations(session)
    share = 2_000_000_000 * pops[WARD_A] / sum(pops.values())
    expected = round((150_000_000 - share) / 150_000_000 * 100, 1)
    ward_a = next(w for w in comparison["wards"] if w["ward"] == WARD_A)
    assert ward_a["reduction_pct"] == expected
    assert comparison["shared_by"] == "population"
