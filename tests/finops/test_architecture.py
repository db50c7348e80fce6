"""Architecture review before migration: the checklist scored from a system's FOCUS rows in
the lake and its asset record, each check with its evidence; on the asset's page and in the
API; a reviewer records the review. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from rengo.assets import service as assets
from rengo.assets.schemas import AssetCreate
from rengo.core.permissions import Principal, Role
from rengo.core.runtime import Runtime
from rengo.finops.architecture import CHECKS, _cpu, _hourly, _managed, _storage, assess
from rengo.finops.lake import Lake
from rengo.web import i18n
from rengo.web.pages.finops.architecture import EVIDENCE
from tests.finops.test_api import _load
from tests.helpers import WARD_A, WARD_B, asset_fields, bearer


def _asset(env: Runtime, **fields: object) -> int:
    with env.db.session() as session:
        created = assets.create_asset(
            session,
            Principal(WARD_A, Role.WARD_IT),
            AssetCreate(**asset_fields(**fields)),
            env.settings,
        )
        return created.id


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_the_checklist_is_scored_from_the_system_s_cost_rows_and_recorded(
    env: Runtime,
    client: TestClient,
    tokens: Callable[..., str],
    login: Callable[..., str],
    tmp_path: Path,
) -> None:
    _load(env, tmp_path)
    asset_id = _asset(env, location="on_premises", cloud_provider=None)
    url = f"/api/v1/finops/architecture/{asset_id}"
    ward = bearer(tokens(WARD_A, "ward_it"))
    got = client.get(url, headers=ward)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["rows"] > 0 and body["business_system"] == "jumin_kihon_daicho"
    by_check = {f["check"]: f for f in body["findings"]}
    assert list(by_check) == list(CHECKS)
    # The synthetic bills are daily: no hourly pattern, so those two are not assessed.
    assert by_check["autoscaling"]["status"] == by_check["off_hours"]["status"] == "unknown"
    managed = by_check["managed"]
    assert managed["status"] in ("pass", "fail") and "on premises" in managed["evidence"]
    share = managed["values"]["share"]
    assert 0 < share < 100 and managed["status"] == ("pass" if share <= 50 else "fail")
    cpu = by_check["right_sized"]
    assert cpu["status"] in ("pass", "fail") and f"{cpu['values']['cpu']}%" in cpu["evidence"]
    # Block storage only in the synthetic bills: no cold tier.
    storage = by_check["storage_tiering"]
    assert (storage["status"], storage["values"]["share"]) == ("fail", 0.0)
    assessed = [f for f in body["findings"] if f["status"] != "unknown"]
    passes = sum(f["status"] == "pass" for f in assessed)
    assert body["score"] == round(100 * passes / len(assessed), 1)
    # Another ward does not find the system; a review asking for action names the actions.
    assert client.get(url, headers=bearer(tokens(WARD_B, "admin"))).status_code == 404
    bad = client.post(f"{url}/reviews", json={"decision": "action_required"}, headers=ward)
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["location"] == "field action_items"
    items = ["データベースをマネージドサービスへ", "夜間停止のスケジュールを設定"]
    done = client.post(
        f"{url}/reviews", json={"decision": "action_required", "action_items": items}, headers=ward
    )
    assert done.status_code == 201, done.text
    assert done.json()["action_items"] == items and done.json()["score"] == body["score"]
    assert [f["check"] for f in done.json()["findings"]] == list(by_check)
    assert [r["decision"] for r in client.get(url, headers=ward).json()["reviews"]] == [
        "action_required"
    ]
    # The asset's page shows the findings in Japanese and records a review through its form.
    csrf = login(client, WARD_A, "ward_it")
    page = client.get(f"/assets/{asset_id}").text
    shown = ("移行前のアーキテクチャレビュー", "マネージドサービスの活用", "評価不能")
    shown += ("対応事項あり",)
    assert all(text in page for text in shown), page[-3000:]
    assert "夜間停止のスケジュールを設定" in page
    posted = client.post(
        f"/assets/{asset_id}/architecture-review",
        data={"csrf_token": csrf, "decision": "accepted", "action_items": ""},
    )
    assert posted.status_code == 303
    assert len(client.get(url, headers=ward).json()["reviews"]) == 2
    invalid = client.post(
        f"/assets/{asset_id}/architecture-review",
        data={"csrf_token": csrf, "decision": "maybe"},
    )
    assert invalid.status_code == 422 and "decision" in invalid.text


def test_every_evidence_message_is_listed_for_the_page_and_translated() -> None:
    on_prem, cloud = SimpleNamespace(location="on_premises"), SimpleNamespace(location="gov_cloud")
    no_system = SimpleNamespace(id=1, tenant=WARD_A, business_system="", location="gov_cloud")
    findings = [
        *_hourly([]),
        *_hourly([(h, 1.0) for h in range(9, 18)]),
        *_hourly([(h, float(h)) for h in range(24)]),
        _cpu(None),
        _cpu(50.0),
        _storage(0, 0),
        _storage(10, 1),
        _managed(0, 0, on_prem),  # type: ignore[arg-type]
        _managed(10, 8, on_prem),  # type: ignore[arg-type]
        _managed(10, 2, cloud),  # type: ignore[arg-type]
        *assess(Lake(Path("/nonexistent")), no_system).findings,  # type: ignore[arg-type]
    ]
    assert {f.evidence for f in findings} == set(EVIDENCE)
    catalog = i18n.catalog("ja")
    assert all(m in catalog for m in EVIDENCE)


def test_hourly_usage_decides_autoscaling_and_off_hours() -> None:
    office = [(h, 10.0 if 9 <= h < 18 else 1.0) for h in range(24)] * 3
    scaling, off = _hourly(office)
    assert (scaling.status, off.status) == ("pass", "pass")
    assert off.values["share"] == 10.0
    flat = [(h, 4.0) for h in range(24)] * 3
    scaling, off = _hourly(flat)
    assert (scaling.status, off.status) == ("fail", "fail")
    assert (scaling.values["ratio"], off.values["share"]) == (1.0, 100.0)
    assert [f.status for f in _hourly([])] == ["unknown", "unknown"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_review_is_kept_until_the_lake_or_the_asset_record_changes(
    env: Runtime, tmp_path: Path
) -> None:
    from rengo.assets.models import Asset

    _load(env, tmp_path)
    asset_id = _asset(env, location="on_premises", cloud_provider=None)
    lake = Lake.of(env.data_dir)
    with env.db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        first = assess(lake, asset)
        assert assess(lake, asset) is first  # the asset page reads no cost row again
        asset.location = "gov_cloud"
        moved = assess(lake, asset)
    assert moved is not first
    managed = next(f for f in moved.findings if f.check == "managed")
    assert "in the cloud" in managed.evidence
