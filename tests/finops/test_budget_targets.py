"""The budget/settlement import (CSV in UTF-8 and cp932, Excel; all lines or none) and the
measure-1/2 targets recomputed from records: operating-cost growth per ward and on
average, the security cost per resident, the cloud bill optimised year on year, trainings."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from rengo.core.clock import JST
from rengo.core.errors import InvalidInput
from rengo.core.permissions import SYSTEM
from rengo.core.runtime import Runtime
from rengo.core.tenancy import populations
from rengo.core.wards import ward_codes
from rengo.finops import budget_import, optimisation, saas, service
from rengo.finops.allocation import Rule
from rengo.finops.models import BudgetLine, Recommendation
from rengo.targets.evaluate import TargetEvaluator
from rengo.targets.registry import Measurement, get_target
from tests.helpers import JOINT, WARD_A, WARD_B, bearer

HEADER = "団体コード,年度,予算決算区分,対象,業務,経費区分,金額,摘要\n"
BUDGET = (
    HEADER
    + f'{WARD_A},2024,決算,現行システム,戸籍,保守,"10,000,000",戸籍システム保守\n'
    + f"{WARD_A},令和6年度,決算,現行システム,共通,回線,2000000,LGWAN回線\n"
    + f"{WARD_A},R7,予算,標準準拠システム,koseki,アプリケーション利用料,8000000,\n"
    + f"{WARD_A},2025,予算,標準準拠システム,戸籍,クラウド利用料,5000000,請求と二重計上しない\n"
    + f"{WARD_A},2025,決算,セキュリティ対策,,運用委託,150000000,単独SOC相当\n"
    + "千代田区,2025,予算,セキュリティ対策,,ライセンス,99,決算がある年度の予算は使わない\n"
    + f"{WARD_B},2024,予算,現行システム,住民基本台帳,保守,1500000,\n"
    + f"{WARD_B},2024,決算,現行システム,住民基本台帳,保守,1000000,\n"
    + f"{WARD_B},2025,予算,標準準拠システム,住民基本台帳,運用委託,1300000,\n"
    + f"{WARD_B},2025,予算,セキュリティ対策,,運用委託,100000000,\n"
    + "joint,2025,決算,セキュリティ対策,,運用委託,46000000,共同SOC/CSIRT要員\n"
)
AS_OF = datetime(2026, 3, 31, 12, tzinfo=JST)


def _focus(tmp_path: Path, rows: list[tuple[str, str, str, str, float, float, str]]) -> list[Path]:
    """One FOCUS CSV per billing month: (day, ward tag, service, description, quantity,
    cost, shared tag)."""
    header = (
        "BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,"
        "BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ProviderName,ServiceName,"
        "ChargeCategory,ChargeDescription,ConsumedQuantity,ConsumedUnit,Tags\n"
    )
    months: dict[str, list[str]] = {}
    for day, ward, svc, desc, qty, cost, shared in rows:
        d = date.fromisoformat(day)
        start = d.replace(day=1)
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        tags = f'{{""ward"": ""{ward}""}}' if ward else f'{{""shared"": ""{shared}""}}'
        months.setdefault(start.isoformat()[:7], []).append(
            f"{cost},{cost},acct-1,JPY,{start}T00:00:00Z,{end}T00:00:00Z,{day}T00:00:00Z,"
            f'{day}T23:00:00Z,AWS,{svc},Usage,{desc},{qty},Hours,"{tags}"\n'
        )
    paths = []
    for month, body in sorted(months.items()):
        path = tmp_path / f"focus-{month}.csv"
        path.write_text(header + "".join(body))
        paths.append(path)
    return paths


def _lake(env: Runtime, tmp_path: Path) -> None:
    rows = [
        # Last year and this year, the same usage (1,000 h) at 100 and then 80 yen an hour.
        ("2024-06-15", WARD_A, "EC2", "m5.large", 1000, 100_000, ""),
        ("2025-06-15", WARD_A, "EC2", "m5.large", 1000, 80_000, ""),
        # New this year: no like-for-like comparison, only the bill.
        ("2025-07-15", WARD_A, "S3", "standard", 10, 20_000, ""),
        ("2025-07-15", WARD_B, "EC2", "m5.large", 500, 60_000, ""),
        # The joint SOC/CSIRT's cloud, shared by population.
        ("2025-08-15", "", "SIEM", "ingest", 100, 23_000_000, "joint-soc"),
    ]
    with env.db.session() as session:
        service.add_pool(session, SYSTEM, "joint-soc", "population", [], "共同SOC/CSIRT")
        service.add_rule(
            session,
            SYSTEM,
            Rule(0, 5, "tag", "joint-soc", tag_key="shared", shared_pool="joint-soc"),
        )
        service.add_rule(
            session, SYSTEM, Rule(0, 10, "tag", "*", tag_key="ward", ward_from_value=True)
        )
        service.ingest(session, SYSTEM, env.data_dir, env.settings, _focus(tmp_path, rows))


def _evaluate(env: Runtime, target: str) -> tuple[Measurement, dict[str, Measurement]]:
    result = TargetEvaluator(env.db, env.settings, env.data_dir).evaluate(
        get_target(target), AS_OF, trend=False
    )
    assert result.error is None, result.error
    return result.overall, result.per_ward


def _import(env: Runtime, data: bytes, filename: str = "budget.csv") -> Any:
    with env.db.session() as session:
        return budget_import.import_budget(session, SYSTEM, data, filename=filename)


def test_budget_file_in_cp932_is_imported_and_a_corrected_file_replaces_it(env: Runtime) -> None:
    first = _import(env, BUDGET.encode("cp932"))
    assert first.rows == 11 and first.replaced == 0
    assert (WARD_A, 2024, "settlement") in first.scopes and (
        JOINT,
        2025,
        "settlement",
    ) in first.scopes
    again = _import(env, BUDGET.encode("utf-8"))
    assert again.rows == 11 and again.replaced == 11
    with env.db.session() as session:
        lines = list(session.scalars(select(BudgetLine).order_by(BudgetLine.line)))
    assert len(lines) == 11
    first_line = lines[0]
    assert (first_line.ward, first_line.fiscal_year, first_line.stage) == (
        WARD_A,
        2024,
        "settlement",
    )
    assert (first_line.scope, first_line.business_system) == ("current", "koseki")
    assert (first_line.category, first_line.amount) == ("maintenance", 10_000_000)
    assert lines[1].fiscal_year == 2024 and lines[1].business_system == ""  # 令和6年度, 共通
    assert lines[2].fiscal_year == 2025 and lines[2].category == "vendor"  # R7


def test_a_bad_file_names_each_row_and_column_and_stores_nothing(env: Runtime) -> None:
    bad = (
        HEADER
        + f"{WARD_A},2025,予算,標準準拠システム,戸籍,保守,100,\n"
        + f"{WARD_A},20xx,予算,標準準拠システム,戸籍,保守,100,\n"
        + f"{WARD_A},2025,見積,標準準拠システム,税務,保守,-5,\n"
        + "999999,2025,予算,セキュリティ対策,戸籍,保守,1.5,\n"
    )
    with pytest.raises(InvalidInput) as caught:
        _import(env, bad.encode("cp932"), "予算.csv")
    where = {p.location for p in caught.value.problems}
    assert "予算.csv:3 column 2 (fiscal_year)" in where
    assert "予算.csv:4 column 3 (stage)" in where
    assert "予算.csv:4 column 5 (business_system)" in where
    assert "予算.csv:4 column 7 (amount)" in where
    assert "予算.csv:5 column 1 (ward)" in where
    assert "予算.csv:5 column 7 (amount)" in where  # not a whole number of yen
    with env.db.session() as session:
        assert session.scalar(select(func.count()).select_from(BudgetLine)) == 0  # line 2 too
    with pytest.raises(InvalidInput) as missing:
        _import(env, "団体コード,年度\n131016,2025\n".encode())
    assert {p.location for p in missing.value.problems} == {"budget.csv:1"}


def test_excel_through_the_api_a_ward_imports_only_its_own(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["団体コード", "年度", "予算決算区分", "対象", "業務", "経費区分", "金額"])
    sheet.append([int(WARD_A), 2025, "予算", "標準準拠システム", "戸籍", "保守", 1200000])
    data = io.BytesIO()
    book.save(data)
    token = tokens(WARD_A, "ward_finance")
    ok = client.post(
        "/api/v1/finops/budget/import",
        files={"file": ("予算.xlsx", data.getvalue())},
        headers=bearer(token),
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["rows"] == 1
    other = client.post(
        "/api/v1/finops/budget/import",
        files={"file": ("b.csv", (HEADER + f"{WARD_B},2025,予算,現行,,保守,1,\n").encode())},
        headers=bearer(token),
    )
    assert other.status_code == 422 and "not your ward" in other.text
    lines = client.get("/api/v1/finops/budget/lines", headers=bearer(token)).json()
    assert [(x["ward"], x["amount"]) for x in lines] == [(WARD_A, 1_200_000)]


def test_budget_page_upload_and_errors(
    env: Runtime, client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, WARD_A, "ward_finance")
    mine = HEADER + f"{WARD_A},2025,予算,標準準拠システム,戸籍,保守,1200000,\n"
    done = client.post(
        "/finops/budget/import",
        data={"csrf_token": csrf},
        files={"file": ("予算.csv", mine.encode("cp932"))},
    )
    assert done.status_code == 200 and "1 行の明細を保存" in done.text
    bad = client.post(
        "/finops/budget/import",
        data={"csrf_token": csrf},
        files={"file": ("予算.csv", (HEADER + f"{WARD_A},x,予算,現行,,保守,1,\n").encode())},
    )
    assert bad.status_code == 422 and "予算.csv:2 column 2 (fiscal_year)" in bad.text
    assert "は年度ではありません" in bad.text
    common = HEADER + f"{WARD_A},2024,決算,現行システム,共通,回線,2000000,\n"
    client.post(
        "/finops/budget/import",
        data={"csrf_token": csrf},
        files={"file": ("共通.csv", common.encode("cp932"))},
    )
    page = client.get("/finops/budget").text
    assert "標準準拠システム(移行後)" in page and "1,200,000" in page
    # The common line with no direct one is spread evenly over the 20 systems.
    assert "標準化対象20業務への按分" in page and page.count('<td class="num">100,000</td>') == 20


def test_operating_cost_growth_per_ward_and_their_average(env: Runtime, tmp_path: Path) -> None:
    _lake(env, tmp_path)
    _import(env, BUDGET.encode())
    overall, per_ward = _evaluate(env, "m2.kgi.operating_cost_growth")
    a, b = per_ward[WARD_A], per_ward[WARD_B]
    # A: before = FY2024 settlement 10M + 2M; after = FY2025 standard 8M (the imported cloud
    # line left out) + the FY2025 cloud bill 80,000 + 20,000 (not the joint SOC's share).
    assert a.detail["before"] == 12_000_000 and a.detail["before_from"] == 2024
    assert a.detail["after_lines"] == 8_000_000
    assert a.detail["after_cloud"] == pytest.approx(100_000, abs=1)
    assert a.value == round(100 * (8_100_000 - 12_000_000) / 12_000_000, 1)
    # B: the FY2024 settlement (1.0M) wins over its budget (1.5M).
    assert b.detail["before"] == 1_000_000
    assert b.value == round(100 * (1_300_000 + 60_000 - 1_000_000) / 1_000_000, 1)
    assert overall.value == round((a.value + b.value) / 2, 1)  # type: ignore[operator]
    pooled = 100 * (8_100_000 + 1_360_000 - 13_000_000) / 13_000_000
    assert overall.detail["pooled_pct"] == round(pooled, 1)
    kinds = {(r.kind, r.note) for r in overall.records}
    assert ("Budget or settlement line", "before") in kinds and (
        "Cloud bill",
        "after (actual + forecast)",
    ) in kinds
    assert sum(r.amount or 0 for r in overall.records if r.note == "before") == 13_000_000


def test_security_cost_per_resident_from_budgets_and_the_joint_centres_costs(
    env: Runtime, tmp_path: Path
) -> None:
    _lake(env, tmp_path)
    _import(env, BUDGET.encode())
    overall, per_ward = _evaluate(env, "m1.kpi.security_cost_per_resident")
    with env.db.session() as session:
        pops = populations(session)
    total = sum(pops.values())

    def share(ward: str) -> float:  # the pool's cloud and the centre's own lines, by population
        return (23_000_000 + 46_000_000) * pops[ward] / total

    assert per_ward[WARD_A].value == round(100 * (150_000_000 - share(WARD_A)) / 150_000_000, 1)
    assert per_ward[WARD_B].value == round(100 * (100_000_000 - share(WARD_B)) / 100_000_000, 1)
    joint = share(WARD_A) + share(WARD_B)
    assert overall.value == round(100 * (250_000_000 - joint) / 250_000_000, 1)
    assert overall.detail["joint_yen"] == round(joint)
    assert {r.note for r in overall.records} >= {"standalone", "joint centre"}


def test_cloud_bill_optimised_year_on_year_with_recommendations_and_outside_savings(
    env: Runtime, tmp_path: Path
) -> None:
    _lake(env, tmp_path)
    with env.db.session() as session:
        session.add(
            Recommendation(
                key="rightsizing:a",
                kind="rightsizing",
                ward=WARD_A,
                title="小さくする",
                status="done",
                done_on=date(2025, 10, 1),
                realised_monthly_saving=1_000,
            )
        )
        optimisation.record_saving(
            session,
            SYSTEM,
            ward=WARD_A,
            kind="reserved_capacity",
            realised_on=date(2025, 11, 1),
            annual_saving=8_000,
            evidence="契約番号 R7-123",
        )
        with pytest.raises(InvalidInput):
            optimisation.record_saving(
                session,
                SYSTEM,
                ward=WARD_A,
                kind="contract",
                realised_on=date(2025, 11, 1),
                annual_saving=8_000,
                evidence="",
            )
    overall, per_ward = _evaluate(env, "m2.kpi.cloud_savings")
    a = per_ward[WARD_A]
    # A = (100 − 80) × 1,000 h; B = 12 × 1,000; C = 8,000; the bill 80,000 + 20,000 + its share
    # of the joint SOC's pool.
    assert a.detail["unit_cost_saving"] == 20_000
    assert a.detail["recommendations"] == 12_000 and a.detail["external"] == 8_000
    bill = a.detail["annual_bill"]
    assert a.value == round(100 * 40_000 / (bill + 40_000), 1)
    assert per_ward[WARD_B].detail["unit_cost_saving"] == 0  # nothing billed last year
    assert any(r.kind == "External saving" for r in overall.records)


def test_trainings_held_and_participants_a_ward_without_records_shows_zero(
    env: Runtime,
) -> None:
    with env.db.session() as session:
        saas.add_training(
            session,
            SYSTEM,
            title="FinOps入門",
            topic="finops",
            held_on=date(2025, 6, 1),
            participants={WARD_A: 12, WARD_B: 3},
            completed={WARD_A: 10},
            material="研修資料 FO-2025-01",
            guideline_version="1.0",
        )
        with pytest.raises(InvalidInput):
            saas.add_training(
                session,
                SYSTEM,
                title="修了者が多すぎる",
                topic="finops",
                held_on=date(2025, 6, 2),
                participants={WARD_A: 1},
                completed={WARD_A: 2},
            )
        saas.add_training(
            session,
            SYSTEM,
            title="BPR実践",
            topic="bpr",
            held_on=date(2025, 9, 1),
            participants={WARD_A: 5},
        )
        saas.add_training(
            session,
            SYSTEM,
            title="前年度",
            topic="bpr",
            held_on=date(2025, 3, 1),
            participants={WARD_A: 99},
        )
    held, held_by_ward = _evaluate(env, "m2.kpi.finops_trainings")
    assert held.value == 2 and held_by_ward[WARD_A].value == 2 and held_by_ward[WARD_B].value == 1
    people, by_ward = _evaluate(env, "m2.kpi.finops_training_participants")
    assert people.value == 20 and by_ward[WARD_A].value == 17 and by_ward[WARD_B].value == 3
    assert by_ward[WARD_A].detail["completed"] == 10 and people.detail["completed"] == 10
    with env.db.session() as session:
        rows = saas.completion_by_ward(session, SYSTEM, date(2025, 4, 1), date(2026, 3, 31))
    assert (WARD_A, 2, 17, 10) in rows and ("131032", 0, 0, 0) in rows and len(rows) == 23
    assert set(by_ward) == set(ward_codes()) and by_ward["131032"].value == 0


def test_records_and_savings_through_the_api(
    env: Runtime, client: TestClient, tokens: Callable[..., str]
) -> None:
    token = tokens(WARD_A, "ward_finance")
    body = {
        "ward": WARD_A,
        "kind": "contract",
        "realised_on": "2025-12-01",
        "annual_saving": 500000,
        "evidence": "変更契約 第12号",
    }
    made = client.post("/api/v1/finops/savings", json=body, headers=bearer(token))
    assert made.status_code == 201, made.text
    refused = client.post(
        "/api/v1/finops/savings", json={**body, "ward": WARD_B}, headers=bearer(token)
    )
    assert refused.status_code == 403
    listed = client.get("/api/v1/finops/savings", headers=bearer(token)).json()
    assert [x["evidence"] for x in listed] == ["変更契約 第12号"]
    target = client.get(
        "/api/v1/targets/m2.kpi.finops_training_participants", headers=bearer(token)
    ).json()
    assert target["value"] == 0 and target["per_ward"][WARD_A]["value"] == 0


def test_common_lines_are_split_in_proportion_to_the_direct_ones() -> None:
    from rengo.finops.operating_cost import allocate

    lines = [
        BudgetLine(business_system="koseki", amount=300.0),
        BudgetLine(business_system="jumin_kihon_daicho", amount=100.0),
        BudgetLine(business_system="", amount=40.0),
    ]
    assert allocate(lines) == {"koseki": 330.0, "jumin_kihon_daicho": 110.0}
    assert sum(allocate([BudgetLine(business_system="", amount=20.0)]).values()) == 20.0


def test_the_evidence_lists_the_records_a_caller_may_see(
    env: Runtime,
    client: TestClient,
    tokens: Callable[..., str],
    login: Callable[..., str],
    tmp_path: Path,
) -> None:
    now = env.clock.now().astimezone(JST)
    fy = now.year if now.month >= 4 else now.year - 1
    _import(env, BUDGET.replace(",2025,", f",{fy},").encode())
    path = "/api/v1/targets/m1.kpi.security_cost_per_resident"
    joint = client.get(path, headers=bearer(tokens(JOINT, "admin"))).json()
    wards_seen = {r["ward"] for r in joint["records"]}
    assert {WARD_A, WARD_B, JOINT} <= wards_seen
    assert sum(r["amount"] for r in joint["records"] if r["note"] == "standalone") == 250_000_000
    mine = client.get(path, headers=bearer(tokens(WARD_A, "ward_finance"))).json()
    assert {r["ward"] for r in mine["records"]} <= {WARD_A, JOINT, ""}
    assert any(r["ward"] == WARD_A for r in mine["records"])
    login(client, JOINT, "admin")
    page = client.get("/targets/m1.kpi.security_cost_per_resident").text
    assert "計算の根拠となった記録" in page and "予算・決算の明細" in page and "各区単独" in page


def test_the_guideline_is_versioned_japanese_first_and_linked(
    env: Runtime, client: TestClient, login: Callable[..., str]
) -> None:
    login(client, WARD_A, "ward_finance")
    page = client.get("/finops/guideline")
    assert page.status_code == 200 and "FinOpsガイドライン" in page.text
    assert "第1.0版" in page.text and "タグを付けます" in page.text
    english = client.get("/finops/guideline?lang=en").text
    assert "Visibility and allocation" in english
    assert client.get("/finops/guideline?version=0.9").status_code == 404
    for path in ("/finops/explorer", "/finops/recommendations", "/finops/trainings"):
        assert 'href="/finops/guideline"' in client.get(path).text, path


def test_a_training_is_recorded_with_its_material_and_completions_per_ward(
    env: Runtime, client: TestClient, login: Callable[..., str]
) -> None:
    csrf = login(client, JOINT, "admin")
    now = env.clock.now().astimezone(JST).date()
    made = client.post(
        "/finops/trainings",
        data={
            "csrf_token": csrf,
            "title": "FinOps基礎",
            "topic": "finops",
            "held_on": now.isoformat(),
            "material": "資料 FO-01",
            "guideline_version": "1.0",
            f"p_{WARD_A}": "8",
            f"c_{WARD_A}": "6",
        },
    )
    assert made.status_code == 303, made.text
    page = client.get("/finops/trainings").text
    assert "資料 FO-01" in page and 'href="/finops/guideline?version=1.0"' in page
    assert "区別の受講・修了状況" in page
    assert '<td class="num">8</td><td class="num">6</td>' in page
