"""The quality score: each dimension reacts to what it measures; shown in the API, on the
dataset page and on the ward-by-ward dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from rengo.core.runtime import Runtime
from rengo.opendata import quality
from rengo.opendata.models import Dataset, Resource
from tests.helpers import WARD_A, bearer
from tests.opendata.test_pages import _publish


def _dataset(**overrides: object) -> Dataset:
    values: dict[str, object] = dict(
        title="t",
        title_kana="",
        notes="",
        tags=[],
        category="",
        license_id="CC-BY-4.0",
        frequency="monthly",
        standard_type="",
        tenant=WARD_A,
    )
    values.update(overrides)
    return Dataset(**values)


def test_each_dimension_measures_its_own_thing(env: Runtime) -> None:
    now = env.clock.now()
    bare = _dataset(modified_at=now, license_id="proprietary")
    pdf = Resource(url="https://example.jp/a.pdf", format="PDF", schema_errors=None)
    low = quality.assess(bare, [pdf], now)
    assert low.parts == {
        "findability": 0.0,
        "licence": 0.0,
        "machine_readability": 0.0,
        "freshness": 1.0,
        "conformance": 0.0,
    }
    full = _dataset(
        modified_at=now,
        notes="区内のAED設置箇所の一覧です。毎月更新します。",
        tags=["AED"],
        category="disaster",
        title_kana="えーいーでぃー",
        standard_type="aed",
    )
    stored = Resource(url="", format="CSV", schema_errors=0)
    assert quality.assess(full, [stored], now).score == 100
    stale = _dataset(modified_at=now - timedelta(days=31 + 15))
    assert 0 < quality.assess(stale, [], now).parts["freshness"] < 1
    dead = _dataset(modified_at=now - timedelta(days=100))
    assert quality.assess(dead, [], now).parts["freshness"] == 0


def test_score_in_api_page_and_dashboard(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    name = _publish(env)
    shown = client.get("/api/3/action/package_show", params={"id": name}).json()["result"]
    assert 0 < shown["quality_score"] <= 100 and shown["quality"]["conformance"] == 1.0
    page = client.get(f"/opendata/dataset/{name}")
    assert f"<strong>{shown['quality_score']}</strong>" in page.text
    assert client.get("/opendata/quality").status_code in (303, 401)
    board = client.get("/opendata/quality", headers=bearer(tokens(WARD_A, "opendata")))
    assert board.status_code == 200 and "千代田区" in board.text
    assert f"<td>{shown['quality_score']}</td>" in board.text
